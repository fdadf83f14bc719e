/**
 * Development without Stytch credentials, on Node, Bun and Deno: starts the Stytch emulator of
 * `ayz-auth/testing` in this process, seeds two demo members, and gives the options that point
 * `stytchAuth()` at it, with the demo's in-memory entitlements. Used only when `STYTCH_PROJECT_ID`
 * is not set; refused under NODE_ENV=production.
 */
import type { StytchAuthOptions } from 'ayz-auth'
import { memoryApiKeys, startStytchEmulator } from 'ayz-auth/testing'
import { DEMO_PLANS, demoEntitlements, type DemoIds } from './demo-entitlements.ts'

/** A seeded member, with a session to paste into requests. */
export interface DemoMember {
  readonly key: 'ada' | 'bob'
  readonly name: string
  readonly email: string
  readonly organization: string
  readonly plan: string
  /** What this member can and cannot do, in a few words. */
  readonly about: string
  readonly sessionToken: string
}

/** A session as Stytch's frontend SDK stores it in the `stytch_session` and `…_jwt` cookies. */
export interface DemoSession {
  readonly sessionToken: string
  readonly sessionJwt: string
  /** Seconds until it expires. */
  readonly maxAge: number
}

/** What {@link startDemoStytch} started. */
export interface Demo {
  readonly emulatorUrl: string
  /** The Stytch ids the demo seeded. */
  readonly ids: DemoIds
  /** `projectId`, `secret` and `baseUrl` of the emulator, and the demo's entitlement source. */
  readonly auth: StytchAuthOptions &
    Required<Pick<StytchAuthOptions, 'projectId' | 'secret' | 'baseUrl'>>
  readonly members: { readonly ada: DemoMember; readonly bob: DemoMember }
  /** A new session for a seeded member, as a completed login would give. */
  signIn(member: DemoMember['key']): Promise<DemoSession>
  close(): Promise<void>
}

const SESSION_MINUTES = 24 * 60
const SESSIONS = {
  ada: { factors: ['password', 'totp'], customClaims: { admin: true } },
  bob: { factors: ['magic_link'], customClaims: {} },
} as const

/**
 * Why the demo must not start here, or `undefined`: the emulator hands out sessions to anyone, so
 * it never runs under NODE_ENV=production. The message says exactly what to set instead.
 *
 * @example
 * ```ts
 * const refusal = demoRefusal()
 * if (refusal) { console.error(refusal); process.exit(1) }
 * ```
 */
export function demoRefusal(): string | undefined {
  if (process.env.NODE_ENV !== 'production') return undefined
  return [
    'NODE_ENV=production and no STYTCH_PROJECT_ID is set: the local Stytch emulator never runs in production.',
    "To use Stytch, set STYTCH_PROJECT_ID and STYTCH_SECRET (your project's, from the Stytch dashboard).",
    'To try the example against the emulator, run it without NODE_ENV=production.',
  ].join('\n')
}

/**
 * Starts the emulator (on `STYTCH_EMULATOR_PORT`, default a free port) and seeds Ada (Acme,
 * premium plan, admin, password + TOTP) and Bob (Globex, basic plan, magic link).
 *
 * @example
 * ```ts
 * const demo = await startDemoStytch()
 * const app = createApp(demo.auth)
 * ```
 */
export async function startDemoStytch(): Promise<Demo> {
  const stytch = await startStytchEmulator({ port: Number(process.env.STYTCH_EMULATOR_PORT ?? 0) })
  const ada = await stytch.emulator.seed({
    organization: { name: 'Acme', slug: 'acme' },
    member: { email: 'ada@acme.example', name: 'Ada Admin' },
    durationMinutes: SESSION_MINUTES,
    ...copy(SESSIONS.ada),
  })
  const bob = await stytch.emulator.seed({
    organization: { name: 'Globex', slug: 'globex' },
    member: { email: 'bob@globex.example', name: 'Bob Member' },
    durationMinutes: SESSION_MINUTES,
    ...copy(SESSIONS.bob),
  })
  const ids: DemoIds = {
    acme: { organizationId: ada.organization.organization_id, memberId: ada.member.member_id },
    globex: { organizationId: bob.organization.organization_id, memberId: bob.member.member_id },
  }
  return {
    emulatorUrl: stytch.url,
    ids,
    auth: {
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      entitlements: demoEntitlements(ids),
      apiKeyStore: memoryApiKeys(),
    },
    members: {
      ada: {
        key: 'ada',
        name: 'Ada Admin',
        email: 'ada@acme.example',
        organization: 'Acme',
        plan: DEMO_PLANS.acme.tier,
        about: 'admin claim, password + TOTP, Research team',
        sessionToken: ada.sessionToken,
      },
      bob: {
        key: 'bob',
        name: 'Bob Member',
        email: 'bob@globex.example',
        organization: 'Globex',
        plan: DEMO_PLANS.globex.tier,
        about: 'no admin claim, magic link only, no team',
        sessionToken: bob.sessionToken,
      },
    },
    signIn: async (key) => {
      const memberId = key === 'ada' ? ids.acme.memberId : ids.globex.memberId
      const session = await stytch.emulator.createSession({
        memberId,
        durationMinutes: SESSION_MINUTES,
        ...copy(SESSIONS[key]),
      })
      return {
        sessionToken: session.sessionToken,
        sessionJwt: session.sessionJwt,
        maxAge: SESSION_MINUTES * 60,
      }
    },
    close: () => stytch.close(),
  }
}

/** The session options, as fresh mutable values for the emulator. */
function copy(session: (typeof SESSIONS)[keyof typeof SESSIONS]) {
  return { factors: [...session.factors], customClaims: { ...session.customClaims } }
}
