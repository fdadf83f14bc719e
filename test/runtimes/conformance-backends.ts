/**
 * What one runtime's conformance app talks to, all in the test process over real HTTP: a Stytch
 * emulator, an Auth0 emulator, an Upstash REST server in front of a real redis-server, and a Data
 * API server. Each runtime gets its own, so call counts and injected faults never cross runtimes.
 */
import { ObjectId } from 'bson'
import {
  startAuth0Emulator,
  startStytchEmulator,
  type FactorType,
  type RunningAuth0Emulator,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { startDataApiServer, type DataApiServer } from '../fixtures/mongo/index.ts'
import { startUpstashServer, type UpstashServer } from '../fixtures/redis/index.ts'

/** The database the Data API adapter reads by default. */
const DATABASE = 'soulmates'
/** Seconds a verified session stays in process before the app asks Upstash again. */
export const L1_TTL_SECONDS = 0.3

/** The running backends of one runtime, and the configuration that points an app at them. */
export interface ConformanceBackends {
  readonly stytch: RunningStytchEmulator
  readonly auth0: RunningAuth0Emulator
  readonly upstash: UpstashServer
  readonly dataApi: DataApiServer
  /** Cache key prefix of this runtime's app. */
  readonly prefix: string
  /** Environment variables (Workers: bindings) for the app: nothing else configures it. */
  readonly config: Readonly<Record<string, string>>
  close(): Promise<void>
}

/** A seeded member: a Stytch session, and the organization, team and user documents behind it. */
export interface Customer {
  readonly token: string
  readonly jwt: string
  readonly memberId: string
  readonly organizationId: string
}

/** What a seeded member's organization and session hold. */
export interface CustomerShape {
  readonly entitlements?: readonly string[]
  readonly tier?: string
  readonly claims?: Record<string, unknown>
  readonly factors?: readonly FactorType[]
  readonly name?: string
  /** RBAC roles besides `stytch_member`, which every member has. */
  readonly roles?: readonly string[]
}

/**
 * Starts one runtime's backends; `prefix` keeps its cache keys apart in the shared redis-server.
 *
 * @example
 * ```ts
 * const backends = await startConformanceBackends(redis.url, 'conformance_bun')
 * const app = await startRuntime('bun', backends.config)
 * ```
 */
export async function startConformanceBackends(
  redisUrl: string,
  prefix: string
): Promise<ConformanceBackends> {
  const [stytch, auth0, upstash, dataApi] = await Promise.all([
    startStytchEmulator(),
    startAuth0Emulator(),
    startUpstashServer({ redisUrl }),
    startDataApiServer(),
  ])
  const config = {
    ...stytch.env(),
    ...auth0.env(),
    AUTH0_CACHE_SECRET: `conformance cache secret of ${prefix}`,
    STYTCH_CACHE: 'upstash',
    STYTCH_CACHE_PREFIX: prefix,
    STYTCH_CACHE_L1_TTL: String(L1_TTL_SECONDS),
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    STYTCH_DATA_API_URL: dataApi.url,
    STYTCH_DATA_API_KEY: dataApi.apiKey,
    STYTCH_REQUEST_TIMEOUT: '3',
    STYTCH_MAX_RETRIES: '1',
    STYTCH_LOG_LEVEL: 'ERROR',
  }
  return {
    stytch,
    auth0,
    upstash,
    dataApi,
    prefix,
    config,
    close: async () => {
      await Promise.all([stytch.close(), auth0.close(), upstash.close(), dataApi.close()])
    },
  }
}

/**
 * Seeds a member whose organization has `shape.entitlements` (default `foresight` and `byod`, tier
 * `standard`) and whose current team is "Engineering".
 *
 * @example
 * ```ts
 * const free = await seedCustomer(backends, { entitlements: [], tier: 'free' })
 * ```
 */
export async function seedCustomer(
  backends: ConformanceBackends,
  shape: CustomerShape = {}
): Promise<Customer> {
  const name = shape.name ?? 'Ada Admin'
  const session = await backends.stytch.emulator.seed({
    member: {
      name,
      email: `${name.split(' ')[0]?.toLowerCase()}@acme.example`,
      roles: [...(shape.roles ?? [])],
    },
    factors: [...(shape.factors ?? ['magic_link'])],
    customClaims: shape.claims ?? {},
    durationMinutes: 60,
  })
  const collection = (name: string) => backends.dataApi.store.collection(DATABASE, name)
  const organizationId = new ObjectId()
  const teamId = new ObjectId()
  collection('organizations').insertOne({
    _id: organizationId,
    stytch_org_id: session.organization.organization_id,
    subscription_tier: shape.tier ?? 'standard',
    entitlements: [...(shape.entitlements ?? ['foresight', 'byod'])],
    subscription_limits: { max_projects: 5 },
  })
  collection('teams').insertOne({
    _id: teamId,
    name: 'Engineering',
    organization_id: organizationId,
  })
  collection('users').insertOne({
    stytch_member_id: session.member.member_id,
    current_team_id: teamId,
  })
  return {
    token: session.sessionToken,
    jwt: session.sessionJwt,
    memberId: session.member.member_id,
    organizationId: session.organization.organization_id,
  }
}

/**
 * An M2M access token for a new client holding `scopes`, asked of the emulator's token endpoint
 * over HTTP as a service would (client credentials, form-encoded).
 *
 * @example
 * ```ts
 * const { clientId, accessToken } = await m2mToken(backends, ['read:reports'])
 * ```
 */
export async function m2mToken(
  backends: ConformanceBackends,
  scopes: readonly string[]
): Promise<{ clientId: string; accessToken: string }> {
  const { emulator, url, projectId } = backends.stytch
  const { clientId, clientSecret } = emulator.createM2MClient({ scopes: [...scopes] })
  const response = await fetch(`${url}/v1/public/${projectId}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  })
  const body = (await response.json()) as { access_token?: unknown }
  if (!response.ok || typeof body.access_token !== 'string')
    throw new Error(`the token endpoint answered ${response.status}: ${JSON.stringify(body)}`)
  return { clientId, accessToken: body.access_token }
}

/** An Auth0 user of an organization on the `standard` plan, with its documents in the Data API. */
export interface Auth0Customer {
  readonly token: string
  readonly userId: string
  readonly orgId: string
  readonly orgName: string
}

/**
 * Seeds an Auth0 organization (entitlement `foresight`, tier `standard`) and a user of it whose
 * current team is "Platform", under the field names `auth0Auth()` reads (`auth0_org_id`,
 * `auth0_id`), and mints the user a token with `permissions`.
 *
 * @example
 * ```ts
 * const reader = await seedAuth0Customer(backends, ['read:documents'])
 * ```
 */
export async function seedAuth0Customer(
  backends: ConformanceBackends,
  permissions: readonly string[]
): Promise<Auth0Customer> {
  const suffix = crypto.randomUUID().slice(0, 8)
  const orgId = `org_${suffix}`
  const orgName = `acme-${suffix}`
  const userId = `auth0|${suffix}`
  const collection = (name: string) => backends.dataApi.store.collection(DATABASE, name)
  const organizationId = new ObjectId()
  const teamId = new ObjectId()
  collection('organizations').insertOne({
    _id: organizationId,
    auth0_org_id: orgId,
    subscription_tier: 'standard',
    entitlements: ['foresight'],
    subscription_limits: {},
  })
  collection('teams').insertOne({ _id: teamId, name: 'Platform', organization_id: organizationId })
  collection('users').insertOne({ auth0_id: userId, current_team_id: teamId })
  const token = await backends.auth0.emulator.mintUserToken({
    sub: userId,
    orgId,
    orgName,
    permissions: [...permissions],
  })
  return { token, userId, orgId, orgName }
}

/**
 * An Auth0 M2M application's access token for a new client granted `scopes`, asked of the
 * emulator's `POST /oauth/token` over HTTP as a service would.
 *
 * @example
 * ```ts
 * const { clientId, accessToken } = await auth0MachineToken(backends, ['read:reports'])
 * ```
 */
export async function auth0MachineToken(
  backends: ConformanceBackends,
  scopes: readonly string[]
): Promise<{ clientId: string; accessToken: string }> {
  const { emulator, url, audience } = backends.auth0
  const { clientId, clientSecret } = emulator.registerClient({ audience, scopes: [...scopes] })
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience,
    }),
  })
  const body = (await response.json()) as { access_token?: unknown }
  if (!response.ok || typeof body.access_token !== 'string')
    throw new Error(`the token endpoint answered ${response.status}: ${JSON.stringify(body)}`)
  return { clientId, accessToken: body.access_token }
}
