/**
 * Development without an Auth0 tenant: starts the Auth0 emulator of `ayz-auth/testing` in this
 * process, mints tokens for two demo users and registers an M2M application, and gives the options
 * that point `auth0Auth()` at it, with the demo's in-memory entitlements (under Auth0's field
 * names). Used only when `AUTH0_DOMAIN` is not set; refused under NODE_ENV=production.
 */
import { AUTH0_SCHEMA, type Auth0AuthOptions } from 'ayz-auth'
import { startAuth0Emulator } from 'ayz-auth/testing'
import { DEMO_PLANS, demoEntitlements } from '../shared/demo-entitlements.ts'

/** A demo user and the access token the emulator minted for them. */
export interface Auth0DemoUser {
  readonly name: string
  readonly organization: string
  readonly plan: string
  readonly permissions: readonly string[]
  readonly token: string
}

/** What {@link startAuth0Demo} started. */
export interface Auth0Demo {
  readonly emulatorUrl: string
  /** `baseUrl` and `audience` of the emulator, and the demo's entitlement source. */
  readonly auth: Auth0AuthOptions
  readonly users: { readonly ada: Auth0DemoUser; readonly bob: Auth0DemoUser }
  /** The M2M application: its credentials, and a token it got from the token endpoint. */
  readonly machine: {
    readonly clientId: string
    readonly clientSecret: string
    readonly audience: string
    readonly scopes: readonly string[]
    readonly token: string
  }
  close(): Promise<void>
}

const AUDIENCE = 'https://api.example.test'
const ORGANIZATIONS = {
  acme: { id: 'org_acme', name: 'acme' },
  globex: { id: 'org_globex', name: 'globex' },
} as const

/**
 * Why the demo must not start here, or `undefined`: the emulator signs tokens for anyone, so it
 * never runs under NODE_ENV=production. The message says exactly what to set instead.
 *
 * @example
 * ```ts
 * const refusal = auth0DemoRefusal()
 * if (refusal) exit(refusal)
 * ```
 */
export function auth0DemoRefusal(): string | undefined {
  if (process.env.NODE_ENV !== 'production') return undefined
  return [
    'NODE_ENV=production and no AUTH0_DOMAIN is set: the local Auth0 emulator never runs in production.',
    "To use Auth0, set AUTH0_DOMAIN (your tenant's domain) and AUTH0_API_AUDIENCE (your API's identifier).",
    'To try the example against the emulator, run it without NODE_ENV=production.',
  ].join('\n')
}

/**
 * Starts the emulator (on `AUTH0_EMULATOR_PORT`, default a free port), mints a day's tokens for
 * Ada (Acme, premium plan, may read and write documents) and Bob (Globex, basic plan, no
 * permission), and registers an M2M application granted `read:reports`, whose token it asks the
 * token endpoint for.
 *
 * @example
 * ```ts
 * const demo = await startAuth0Demo()
 * const app = createAuth0App(demo.auth)
 * ```
 */
export async function startAuth0Demo(): Promise<Auth0Demo> {
  const auth0 = await startAuth0Emulator({
    port: Number(process.env.AUTH0_EMULATOR_PORT ?? 0),
    audience: AUDIENCE,
  })
  const { emulator } = auth0
  const ids = {
    acme: { organizationId: ORGANIZATIONS.acme.id, memberId: 'auth0|ada' },
    globex: { organizationId: ORGANIZATIONS.globex.id, memberId: 'auth0|bob' },
  }
  const ada = await emulator.mintUserToken({
    sub: ids.acme.memberId,
    orgId: ORGANIZATIONS.acme.id,
    orgName: ORGANIZATIONS.acme.name,
    permissions: ['read:documents', 'write:documents'],
  })
  const bob = await emulator.mintUserToken({
    sub: ids.globex.memberId,
    orgId: ORGANIZATIONS.globex.id,
    orgName: ORGANIZATIONS.globex.name,
    permissions: [],
  })
  const client = emulator.registerClient({ audience: AUDIENCE, scopes: ['read:reports'] })
  const response = await fetch(`${auth0.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      audience: AUDIENCE,
    }),
  })
  const { access_token: machineToken } = (await response.json()) as { access_token: string }
  return {
    emulatorUrl: auth0.url,
    auth: {
      baseUrl: auth0.url,
      audience: AUDIENCE,
      entitlements: demoEntitlements(ids, AUTH0_SCHEMA),
    },
    users: {
      ada: {
        name: 'Ada Admin',
        organization: 'Acme',
        plan: DEMO_PLANS.acme.tier,
        permissions: ['read:documents', 'write:documents'],
        token: ada,
      },
      bob: {
        name: 'Bob Member',
        organization: 'Globex',
        plan: DEMO_PLANS.globex.tier,
        permissions: [],
        token: bob,
      },
    },
    machine: { ...client, token: machineToken },
    close: () => auth0.close(),
  }
}

/**
 * The announcement of the demo: loud about the emulator, then commands that work as printed, each
 * with its expected status after `#` (a test runs them all, in order).
 *
 * @example
 * ```ts
 * console.log(auth0Banner('http://127.0.0.1:3000', demo))
 * ```
 */
export function auth0Banner(base: string, demo: Auth0Demo): string {
  const { ada, bob } = demo.users
  const { machine } = demo
  const as = (token: string) => `-H "Authorization: Bearer ${token}"`
  const tokenRequest = [
    `curl -i -X POST ${demo.emulatorUrl}/oauth/token`,
    '-d grant_type=client_credentials',
    `-d client_id=${machine.clientId}`,
    `-d client_secret=${machine.clientSecret}`,
    `-d audience=${machine.audience}`,
  ].join(' ')
  return [
    '',
    '*** DEVELOPMENT MODE: no AUTH0_DOMAIN is set, so this app uses the LOCAL AUTH0 EMULATOR',
    `*** of ayz-auth/testing at ${demo.emulatorUrl}. It signs tokens for anyone: never use it in production.`,
    '*** Entitlements come from an in-memory demo source (examples/shared/demo-entitlements.ts).',
    '',
    'Demo callers (tokens valid for a day):',
    `  ${ada.name}, ${ada.organization} (${ada.plan} plan): permissions ${ada.permissions.join(', ')}`,
    `  ${bob.name}, ${bob.organization} (${bob.plan} plan): no permissions`,
    `  An M2M application (client ${machine.clientId}): scope ${machine.scopes.join(' ')}`,
    '',
    'Try these (expected status after #):',
    `curl -i ${base}/api/me  # 401 no token`,
    `curl -i ${as(ada.token)} ${base}/api/me  # 200 Ada: a user of Acme, her permissions and plan`,
    `curl -i ${as(ada.token)} ${base}/api/documents  # 200 Ada holds read:documents`,
    `curl -i -X POST ${as(ada.token)} ${base}/api/documents  # 201 and write:documents`,
    `curl -i ${as(bob.token)} ${base}/api/documents  # 403 Bob holds no permission`,
    `curl -i ${as(ada.token)} ${base}/api/orgs/acme  # 200 her organization, by org_name`,
    `curl -i ${as(bob.token)} ${base}/api/orgs/org_acme  # 403 not his organization`,
    `curl -i ${as(ada.token)} ${base}/api/foresight  # 200 Acme's premium plan includes foresight`,
    `curl -i ${as(bob.token)} ${base}/api/foresight  # 403 Globex's basic plan does not`,
    `${tokenRequest}  # 200 the M2M application asks for a token`,
    `curl -i ${as(machine.token)} ${base}/api/me  # 200 a machine, with its client id and scopes`,
    `curl -i ${as(machine.token)} ${base}/api/reports  # 200 it holds the read:reports scope`,
    `curl -i ${as(ada.token)} ${base}/api/reports  # 403 Ada's token lacks that scope`,
    `curl -i -X POST ${as(bob.token)} ${base}/api/logout  # 204 Bob logs out`,
    `curl -i ${as(bob.token)} ${base}/api/me  # 401 his token is refused until it expires`,
    '',
  ].join('\n')
}
