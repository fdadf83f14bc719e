/**
 * Development without Stytch credentials: starts the Stytch emulator of `ayz-auth/testing`, points
 * the library at it through the environment, and seeds two demo members. Never used when
 * `STYTCH_PROJECT_ID` is set; refused under NODE_ENV=production.
 */
import { startStytchEmulator } from 'ayz-auth/testing'

/** What the demo seeded: tokens to paste into requests. */
export interface Demo {
  readonly emulatorUrl: string
  readonly adminToken: string
  readonly memberToken: string
}

/** Starts the emulator, exports its settings to `process.env`, and seeds the demo members. */
export async function startDemoStytch(): Promise<Demo> {
  const stytch = await startStytchEmulator({ port: Number(process.env.STYTCH_EMULATOR_PORT ?? 0) })
  Object.assign(process.env, stytch.env())
  const admin = await stytch.emulator.seed({
    organization: { name: 'Acme', slug: 'acme' },
    member: { email: 'ada@acme.example', name: 'Ada Admin' },
    customClaims: { admin: true },
    factors: ['password', 'totp'],
    durationMinutes: 24 * 60,
  })
  const member = await stytch.emulator.seed({
    organization: { name: 'Globex', slug: 'globex' },
    member: { email: 'bob@globex.example', name: 'Bob Member' },
    factors: ['magic_link'],
    durationMinutes: 24 * 60,
  })
  return {
    emulatorUrl: stytch.url,
    adminToken: admin.sessionToken,
    memberToken: member.sessionToken,
  }
}
