/**
 * `auth0Auth()` against the Auth0 emulator over a real socket, as an app uses it: the contexts a
 * user's and an M2M application's tokens give, verification once per token (then from memory until
 * `exp`, rejections remembered), the errors (401, 503 `auth0_api`, configuration 500s), the JWKS
 * outage rules, the guards, entitlements and team from MongoDB (the real driver on the wire-protocol
 * fixture) and the Data API (its fixture) by `org_id` and `sub`, revocation, and the types.
 */
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ObjectId } from 'bson'
import { Hono, type MiddlewareHandler } from 'hono'
import { base64url } from 'jose'
import { MongoClient } from 'mongodb'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import '../../adapters/data-api.ts'
import '../../adapters/opentelemetry.ts'
import { mongoEntitlements } from '../../adapters/mongodb.ts'
import {
  auth0Auth,
  closeAuth,
  ConfigurationError,
  hasPermission,
  memoryCache,
  requireClaims,
  requireEntitlement,
  requireFactors,
  requireOrganization,
  requirePermission,
  requireScopes,
  revokeSession,
  withinLimit,
  type ApiKeyContext,
  type Auth0AuthOptions,
  type Auth0Env,
  type AuthEvent,
  type MachineContext,
  type Principal,
  type UserContext,
} from '../../src/index.ts'
import { startAuth0Emulator, type RunningAuth0Emulator } from '../../src/testing/index.ts'
import {
  startDataApiServer,
  startMongoWireServer,
  type DataApiServer,
  type MongoWireServer,
} from '../fixtures/mongo/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'

let auth0: RunningAuth0Emulator
/** The environment that points `auth0Auth()` at the emulator, as `auth0.env()` gives it. */
let env: Record<string, string>
beforeAll(async () => {
  auth0 = await startAuth0Emulator()
  env = auth0.env()
})
afterAll(async () => {
  await closeAuth()
  await auth0?.close()
})
afterEach(() => {
  vi.useRealTimers()
  auth0.emulator.clearFaults()
})

/**
 * Each app its own cache prefix (its own process-wide state, so no test sees another's tokens), and
 * a logger of its own (what it logs stays out of the test output).
 */
let apps = 0
const isolated = (options: Auth0AuthOptions = {}): Auth0AuthOptions => ({
  prefix: `auth0_test_${++apps}`,
  logger: captureLogger(),
  ...options,
})

/** The routes a user of `auth0Auth()` writes. */
function apiApp(options: Auth0AuthOptions = {}): Hono<Auth0Env> {
  const app = new Hono<Auth0Env>()
  app.use('/api/*', auth0Auth(isolated(options)))
  app.get('/api/me', (c) => c.json(c.var.auth))
  app.get('/api/documents', requirePermission('documents', 'read'), (c) => c.text('documents'))
  app.get('/api/reports', requireScopes('read:reports'), (c) => c.text('reports'))
  app.get(
    '/api/orgs/:org',
    requireOrganization((c) => c.req.param('org')),
    (c) => c.text('org')
  )
  app.get('/api/mfa', requireFactors('mfa'), (c) => c.text('mfa'))
  app.get('/api/admin', requireClaims('admin'), (c) => c.text('admin'))
  app.get('/api/foresight', requireEntitlement('foresight'), (c) => c.text('foresight'))
  app.get('/api/can-export', async (c) =>
    c.json({ canExport: await hasPermission(c, 'documents', 'export') })
  )
  app.get('/api/projects', (c) =>
    c.json({ mayAddProject: withinLimit(c.var.auth, 'max_projects', 4) })
  )
  app.post('/api/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  return app
}

/** What `send` needs of an app: Hono's `request`, whatever the app's `Env`. */
interface App {
  request(
    path: string,
    init: RequestInit,
    vars: Record<string, string>
  ): Response | Promise<Response>
}

async function send(
  app: App,
  path: string,
  token?: string,
  vars: Record<string, string> = env,
  init: RequestInit = {}
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await app.request(path, { ...init, ...(token ? bearer(token) : {}) }, vars)
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
  }
}

/** An M2M application's token, asked of the emulator's token endpoint as a service would. */
async function m2mToken(scopes: string[], permissions?: string[]): Promise<string> {
  const { clientId, clientSecret } = auth0.emulator.registerClient({
    audience: auth0.audience,
    scopes,
    ...(permissions && { permissions }),
  })
  const response = await fetch(`${auth0.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: auth0.audience,
    }),
  })
  return ((await response.json()) as { access_token: string }).access_token
}

/** A token naming a `kid` the JWKS lacks (the key is looked up before the signature is checked). */
function tokenWithUnknownKid(): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
  const claims = {
    iss: auth0.issuer,
    aud: auth0.audience,
    sub: `auth0|${crypto.randomUUID()}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  }
  return `${encode({ alg: 'RS256', typ: 'JWT', kid: crypto.randomUUID() })}.${encode(claims)}.${'A'.repeat(342)}`
}

describe('what c.var.auth holds', () => {
  it("is a user for a user's token, with DESIGN's fields and never the token", async () => {
    const token = await auth0.emulator.mintUserToken({
      sub: 'auth0|65f0c1',
      scope: 'openid read:documents',
      permissions: ['read:documents', 'write:documents'],
      orgId: 'org_acme',
      orgName: 'acme',
      clientId: 'spa-client',
    })
    const before = Date.now()
    const { status, body } = await send(apiApp(), '/api/me', token)
    expect(status).toBe(200)
    expect(body).toEqual({
      kind: 'user',
      userId: 'auth0|65f0c1',
      organizationId: 'org_acme',
      organizationName: 'acme',
      permissions: ['read:documents', 'write:documents'],
      hasPermissionsClaim: true,
      scopes: ['openid', 'read:documents'],
      clientId: 'spa-client',
      expiresAt: expect.any(String),
      authenticatedAt: expect.any(String),
      entitlementsStatus: 'not_configured',
      entitlements: null,
      subscriptionTier: null,
      subscriptionLimits: null,
      currentTeamId: null,
      currentTeamName: null,
      mongoUserId: null,
      mongoOrganizationId: null,
    })
    const exp = (JSON.parse(atob(token.split('.')[1]!)) as { exp: number }).exp
    expect(Date.parse(body.expiresAt as string)).toBe(exp * 1000)
    expect(Date.parse(body.authenticatedAt as string)).toBeGreaterThanOrEqual(before - 1000)
    expect(JSON.stringify(body)).not.toContain(token.split('.')[2])
  })

  it("is a machine for an M2M application's token from /oauth/token", async () => {
    const { clientId, clientSecret } = auth0.emulator.registerClient({
      audience: auth0.audience,
      scopes: ['read:reports', 'write:reports'],
      permissions: ['read:reports'],
    })
    const response = await fetch(`${auth0.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        audience: auth0.audience,
      }),
    })
    const { access_token: token } = (await response.json()) as { access_token: string }
    const { status, body } = await send(apiApp(), '/api/me', token)
    expect(status).toBe(200)
    expect(body).toEqual({
      kind: 'machine',
      clientId,
      permissions: ['read:reports'],
      scopes: ['read:reports', 'write:reports'],
      customClaims: {},
      expiresAt: expect.any(String),
      authenticatedAt: expect.any(String),
    })
  })

  it('takes a token from the Authorization header only, and reads organization and client as null when absent', async () => {
    const token = await auth0.emulator.mintUserToken({ scope: 'read:documents', clientId: 'c1' })
    const app = apiApp()
    expect(
      (
        await send(app, '/api/me', undefined, env, {
          headers: { cookie: `stytch_session_jwt=${token}` },
        })
      ).status
    ).toBe(401)
    expect((await send(app, '/api/me', token)).body).toMatchObject({
      organizationId: null,
      organizationName: null,
      permissions: [],
      hasPermissionsClaim: false,
      scopes: ['read:documents'],
    })
  })
})

describe('acceptTokens', () => {
  it('refuses the kind a route does not accept, before any key is fetched', async () => {
    const machines = new Hono<{ Variables: { auth: MachineContext } }>()
    machines.use('*', auth0Auth(isolated({ acceptTokens: ['m2m'] })))
    machines.get('/', (c) => c.json({ clientId: c.var.auth.clientId }))
    const users = new Hono<{ Variables: { auth: UserContext } }>()
    users.use('*', auth0Auth(isolated({ acceptTokens: ['user'] })))
    users.get('/', (c) => c.json({ userId: c.var.auth.userId }))

    const user = await auth0.emulator.mintUserToken()
    const machine = await auth0.emulator.mintMachineToken()
    auth0.emulator.resetCalls()
    const refusedUser = await send(machines, '/', user)
    const refusedMachine = await send(users, '/', machine)
    for (const refused of [refusedUser, refusedMachine]) {
      expect(refused).toMatchObject({ status: 401, body: { type: 'token_verification' } })
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    }
    expect(auth0.emulator.calls.total).toBe(0)
    expect((await send(machines, '/', machine)).status).toBe(200)
    expect((await send(users, '/', user)).status).toBe(200)
  })

  it('gives the optional mode null for a missing or invalid token, and the principal otherwise', async () => {
    const shop = new Hono<{ Variables: { auth: UserContext | MachineContext | null } }>()
    shop.use('*', auth0Auth(isolated({ optional: true })))
    shop.get('/', (c) => c.json({ who: c.var.auth?.kind ?? 'guest' }))
    expect((await send(shop, '/')).body).toEqual({ who: 'guest' })
    expect((await send(shop, '/', 'not.a.jwt')).body).toEqual({ who: 'guest' })
    expect((await send(shop, '/', await auth0.emulator.mintUserToken())).body).toEqual({
      who: 'user',
    })
  })
})

describe('verification once per token', () => {
  it('fetches the keys once, verifies each token once and serves it from memory until exp, even with the JWKS down', async () => {
    const app = apiApp()
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => auth0.emulator.mintUserToken())
    )
    auth0.emulator.resetCalls()
    auth0.emulator.injectFault({ kind: 'latency', ms: 100 }, { endpoint: 'jwks', times: 1 })
    const first = await Promise.all(
      tokens.flatMap((token) => [0, 1, 2].map(() => send(app, '/api/me', token)))
    )
    expect(first.map((response) => response.status)).toEqual(Array(15).fill(200))
    expect(auth0.emulator.calls.jwks).toBe(1)
    auth0.emulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'jwks' })
    for (const token of tokens) expect((await send(app, '/api/me', token)).status).toBe(200)
    expect(auth0.emulator.calls.jwks).toBe(1)
  })

  it('remembers a rejected token: it is verified once however often it comes back', async () => {
    const logger = captureLogger()
    const app = apiApp({ logger, logLevel: 'DEBUG' })
    const expired = await auth0.emulator.mintUserToken({ expiresIn: -60 })
    for (let i = 0; i < 5; i++) {
      const { status, headers, body } = await send(app, '/api/me', expired)
      expect({ status, body }).toEqual({
        status: 401,
        body: {
          error: 'authentication_failed',
          message: 'Invalid or expired session token',
          type: 'token_verification',
        },
      })
      expect(headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    }
    expect(logger.lines.filter((line) => line.includes('Auth0 token rejected'))).toHaveLength(1)
    expect(logger.lines.join('\n')).not.toContain(expired.split('.')[2])
  })

  it('answers 401 token_extraction without a token', async () => {
    const { status, headers, body } = await send(apiApp(), '/api/me')
    expect({ status, type: body.type }).toEqual({ status: 401, type: 'token_extraction' })
    expect(headers.get('www-authenticate')).toBe('Bearer')
  })
})

describe('the JWKS down', () => {
  it('with no key cached: 503 auth0_api with Retry-After, never a 401, and one fetch per 5 s', async () => {
    const app = apiApp()
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => auth0.emulator.mintUserToken())
    )
    auth0.emulator.resetCalls()
    auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    const answers = await Promise.all(tokens.map((token) => send(app, '/api/me', token)))
    for (const { status, headers, body } of answers) {
      expect({ status, body }).toEqual({
        status: 503,
        body: {
          error: 'service_unavailable',
          message: 'Authentication service temporarily unavailable',
          type: 'auth0_api',
        },
      })
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    // Asked again at once: still a 503 (not remembered as a rejection), with no new fetch.
    expect((await send(app, '/api/me', tokens[0])).status).toBe(503)
    expect(auth0.emulator.calls.jwks).toBe(1)
    auth0.emulator.clearFaults()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5_001)
    expect((await send(app, '/api/me', tokens[0])).status).toBe(200)
    expect(auth0.emulator.calls.jwks).toBe(2)
  })

  it('with keys cached: new tokens go on verifying from memory', async () => {
    const app = apiApp()
    expect((await send(app, '/api/me', await auth0.emulator.mintUserToken())).status).toBe(200)
    auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    vi.useFakeTimers({ toFake: ['Date'] })
    // Past the cooldown and past the keys' maximum age: every refresh fails, the keys stay.
    vi.setSystemTime(Date.now() + 11 * 60_000)
    const fresh = await Promise.all(Array.from({ length: 5 }, () => auth0.emulator.mintUserToken()))
    for (const token of fresh) expect((await send(app, '/api/me', token)).status).toBe(200)
    expect(
      (await send(app, '/api/me', await auth0.emulator.mintUserToken({ expiresIn: -60 }))).status
    ).toBe(401)
  })

  it('refetches for unknown kids at most once per 5 s, however many requests carry them', async () => {
    const app = apiApp()
    expect((await send(app, '/api/me', await auth0.emulator.mintUserToken())).status).toBe(200)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5_001)
    auth0.emulator.resetCalls()
    const burst = await Promise.all(
      Array.from({ length: 100 }, () => send(app, '/api/me', tokenWithUnknownKid()))
    )
    expect(new Set(burst.map((response) => response.status))).toEqual(new Set([401]))
    expect(auth0.emulator.calls.jwks).toBe(1)
    // Within the 5 s: none; after them: one more.
    for (let second = 0; second < 4; second++) {
      vi.setSystemTime(Date.now() + 1_000)
      await Promise.all(
        Array.from({ length: 20 }, () => send(app, '/api/me', tokenWithUnknownKid()))
      )
    }
    expect(auth0.emulator.calls.jwks).toBe(1)
    vi.setSystemTime(Date.now() + 1_001)
    await Promise.all(Array.from({ length: 20 }, () => send(app, '/api/me', tokenWithUnknownKid())))
    expect(auth0.emulator.calls.jwks).toBe(2)
  })
})

describe('guards on Auth0 principals', () => {
  it("requirePermission('documents', 'read') passes with permissions read:documents, else answers DESIGN's 403", async () => {
    const app = apiApp()
    const reader = await auth0.emulator.mintUserToken({ permissions: ['read:documents'] })
    const writer = await auth0.emulator.mintUserToken({
      permissions: ['write:documents'],
      scope: 'openid read:documents',
    })
    expect((await send(app, '/api/documents', reader)).status).toBe(200)
    expect(await send(app, '/api/documents', writer)).toMatchObject({
      status: 403,
      body: {
        error: 'insufficient_permissions',
        type: 'authorization',
        message: "Missing permission: 'read' on 'documents'",
        required_permission: { resource_id: 'documents', action: 'read' },
      },
    })
    // Without a permissions claim, the scope decides; a machine, its permissions or scopes.
    const scoped = await auth0.emulator.mintUserToken({ scope: 'openid read:documents' })
    expect((await send(app, '/api/documents', scoped)).status).toBe(200)
    expect((await send(app, '/api/documents', await m2mToken(['read:documents']))).status).toBe(200)
    expect((await send(app, '/api/documents', await m2mToken([], ['read:documents']))).status).toBe(
      200
    )
    expect((await send(app, '/api/documents', await m2mToken(['read:reports']))).status).toBe(403)
    expect((await send(app, '/api/can-export', reader)).body).toEqual({ canExport: false })
  })

  it('requireScopes decides by scope, with the RFC 6750 challenge when one is missing', async () => {
    const app = apiApp()
    expect((await send(app, '/api/reports', await m2mToken(['read:reports']))).status).toBe(200)
    const user = await auth0.emulator.mintUserToken({ scope: 'openid read:reports' })
    expect((await send(app, '/api/reports', user)).status).toBe(200)
    const denied = await send(app, '/api/reports', await m2mToken(['write:reports']))
    expect(denied).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope', required_scopes: ['read:reports'] },
    })
    expect(denied.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="read:reports"'
    )
  })

  it('requireOrganization matches org_id or org_name, never a machine', async () => {
    const app = apiApp()
    const member = await auth0.emulator.mintUserToken({ orgId: 'org_acme', orgName: 'acme' })
    expect((await send(app, '/api/orgs/org_acme', member)).status).toBe(200)
    expect((await send(app, '/api/orgs/acme', member)).status).toBe(200)
    expect(await send(app, '/api/orgs/org_globex', member)).toMatchObject({
      status: 403,
      body: { error: 'tenancy_mismatch', type: 'authorization' },
    })
    const alone = await auth0.emulator.mintUserToken()
    expect((await send(app, '/api/orgs/org_acme', alone)).status).toBe(403)
    expect((await send(app, '/api/orgs/org_acme', await m2mToken([]))).status).toBe(403)
  })

  it('member-only guards and entitlement guards answer 403 on what has no such thing', async () => {
    const app = apiApp()
    const user = await auth0.emulator.mintUserToken({ orgId: 'org_acme' })
    const machine = await m2mToken(['read:reports'])
    for (const token of [user, machine]) {
      expect(await send(app, '/api/mfa', token)).toMatchObject({
        status: 403,
        body: { error: 'insufficient_authentication' },
      })
      expect(await send(app, '/api/admin', token)).toMatchObject({
        status: 403,
        body: { error: 'insufficient_permissions' },
      })
      expect(await send(app, '/api/foresight', token)).toMatchObject({
        status: 403,
        body: { error: 'forbidden' },
      })
    }
  })
})

describe('entitlements and team by org_id and sub', () => {
  let wire: MongoWireServer
  let dataApi: DataApiServer
  let client: MongoClient
  const DB = 'soulmates'
  /** The documents of an Auth0 app: Auth0's organization id and user id, as DESIGN names them. */
  function seed(orgId: string, sub: string, team: { name: string; otherOrganization?: boolean }) {
    const collection = (name: string) => wire.store.collection(DB, name)
    const organizationId = new ObjectId()
    const teamId = new ObjectId()
    collection('organizations').insertOne({
      _id: organizationId,
      auth0_org_id: orgId,
      subscription_tier: 'premium',
      entitlements: ['foresight'],
      subscription_limits: { max_projects: 5 },
    })
    collection('teams').insertOne({
      _id: teamId,
      name: team.name,
      organization_id: team.otherOrganization ? new ObjectId() : organizationId,
    })
    collection('users').insertOne({ _id: new ObjectId(), auth0_id: sub, current_team_id: teamId })
    return { organizationId, teamId }
  }
  beforeAll(async () => {
    wire = await startMongoWireServer({ dbName: DB })
    dataApi = await startDataApiServer({ store: wire.store })
    client = new MongoClient(wire.uri, { serverSelectionTimeoutMS: 1000 })
  })
  afterAll(async () => {
    await client?.close()
    await closeAuth()
    await Promise.all([dataApi?.close(), wire?.close()])
  })

  /** How the environment selects each backend. */
  const variablesOf = {
    'MongoDB (STYTCH_MONGODB_URI, the mongodb driver)': () => ({ STYTCH_MONGODB_URI: wire.uri }),
    'the Data API (STYTCH_DATA_API_URL)': () => ({
      STYTCH_DATA_API_URL: dataApi.url,
      STYTCH_DATA_API_KEY: dataApi.apiKey,
    }),
  }

  it.each(Object.keys(variablesOf) as (keyof typeof variablesOf)[])(
    'load from %s with auth0_org_id and auth0_id',
    async (name) => {
      const vars = variablesOf[name]()
      const orgId = `org_${crypto.randomUUID().slice(0, 8)}`
      const sub = `auth0|${crypto.randomUUID()}`
      const { organizationId, teamId } = seed(orgId, sub, { name: 'Research' })
      const app = apiApp()
      const token = await auth0.emulator.mintUserToken({ sub, orgId })
      const { status, body } = await send(app, '/api/me', token, { ...env, ...vars })
      expect({ name, status, body }).toMatchObject({
        name,
        status: 200,
        body: {
          entitlementsStatus: 'loaded',
          entitlements: ['foresight'],
          subscriptionTier: 'premium',
          subscriptionLimits: { max_projects: 5 },
          currentTeamId: teamId.toHexString(),
          currentTeamName: 'Research',
          mongoOrganizationId: organizationId.toHexString(),
        },
      })
      expect((await send(app, '/api/foresight', token, { ...env, ...vars })).status).toBe(200)
      expect((await send(app, '/api/projects', token, { ...env, ...vars })).body).toEqual({
        mayAddProject: true,
      })
    }
  )

  it('answers the upgrade 403 for an organization without the entitlement, and no team of another organization', async () => {
    const orgId = `org_${crypto.randomUUID().slice(0, 8)}`
    const sub = `auth0|${crypto.randomUUID()}`
    seed(orgId, sub, { name: 'Elsewhere', otherOrganization: true })
    wire.store.collection(DB, 'organizations').insertOne({
      _id: new ObjectId(),
      auth0_org_id: `${orgId}_free`,
      subscription_tier: 'free',
      entitlements: [],
      subscription_limits: {},
    })
    const app = apiApp()
    const vars = { ...env, STYTCH_MONGODB_URI: wire.uri }
    const member = await auth0.emulator.mintUserToken({ sub, orgId })
    expect((await send(app, '/api/me', member, vars)).body).toMatchObject({
      entitlementsStatus: 'loaded',
      currentTeamId: null,
      currentTeamName: null,
    })
    const free = await auth0.emulator.mintUserToken({ orgId: `${orgId}_free` })
    expect(await send(app, '/api/foresight', free, vars)).toMatchObject({
      status: 403,
      body: {
        error: 'forbidden',
        required_entitlement: 'foresight',
        current_tier: 'free',
        upgrade_required: true,
      },
    })
  })

  it('a source of your own keeps its schema (here the original names, stytch_org_id)', async () => {
    const orgId = `org_${crypto.randomUUID().slice(0, 8)}`
    wire.store.collection(DB, 'organizations').insertOne({
      _id: new ObjectId(),
      stytch_org_id: orgId,
      subscription_tier: 'team',
      entitlements: ['reporting'],
      subscription_limits: {},
    })
    const app = apiApp({ entitlements: mongoEntitlements({ client, db: DB }) })
    const token = await auth0.emulator.mintUserToken({ orgId })
    expect((await send(app, '/api/me', token)).body).toMatchObject({
      entitlementsStatus: 'loaded',
      subscriptionTier: 'team',
    })
  })
})

describe('revokeSession(c)', () => {
  it('refuses the token from then on, on every mount of the tenant and API in the process', async () => {
    const options = isolated()
    const one = apiApp(options)
    const other = apiApp(options)
    const token = await auth0.emulator.mintUserToken()
    expect((await send(one, '/api/me', token)).status).toBe(200)
    expect((await send(other, '/api/me', token)).status).toBe(200)
    expect((await send(one, '/api/logout', token, env, { method: 'POST' })).status).toBe(204)
    expect((await send(one, '/api/me', token)).status).toBe(401)
    expect((await send(other, '/api/me', token)).status).toBe(401)
    expect((await send(one, '/api/me', await auth0.emulator.mintUserToken())).status).toBe(200)
  })
})

describe('telemetry and secrecy', () => {
  class TestReader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
    }
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }

  it('reports users and machines, the JWKS fetch and the outcomes, and never a token', async () => {
    const spans = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    })
    const reader = new TestReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    const events: AuthEvent[] = []
    const logger = captureLogger()
    const app = apiApp({
      telemetry: { tracerProvider, meterProvider },
      onEvent: (event) => events.push(event),
      serverTiming: true,
      logger,
      logLevel: 'DEBUG',
    })
    const user = await auth0.emulator.mintUserToken({ sub: 'auth0|observed', orgId: 'org_o' })
    const machine = await m2mToken(['read:reports'])
    const expired = await auth0.emulator.mintUserToken({ expiresIn: -60 })
    const miss = await app.request('/api/me', bearer(user), env)
    const hit = await app.request('/api/me', bearer(user), env)
    expect(miss.headers.get('server-timing')).toMatch(/desc="miss"$/)
    expect(hit.headers.get('server-timing')).toMatch(/desc="l1"$/)
    expect((await send(app, '/api/me', machine)).status).toBe(200)
    expect((await send(app, '/api/me', expired)).status).toBe(401)
    expect((await send(app, '/api/logout', user, env, { method: 'POST' })).status).toBe(204)

    expect(
      events.map((event) =>
        event.type === 'authenticated'
          ? [event.type, event.kind, event.tier, event.userId ?? event.clientId]
          : event.type === 'rejected'
            ? [event.type, event.reason]
            : [event.type]
      )
    ).toEqual([
      ['authenticated', 'user', 'miss', 'auth0|observed'],
      ['authenticated', 'user', 'l1', 'auth0|observed'],
      ['authenticated', 'machine', 'miss', expect.any(String)],
      ['rejected', 'token_verification'],
      ['authenticated', 'user', 'l1', 'auth0|observed'],
      ['revoked'],
    ])
    const finished = spans.getFinishedSpans()
    expect(
      finished.filter((span) => span.name === 'ayz_auth.auth0').map((span) => span.attributes)
    ).toEqual([expect.objectContaining({ 'ayz_auth.operation': 'jwks' })])
    expect(
      finished
        .filter((span) => span.name === 'ayz_auth.authenticate')
        .map((span) => span.attributes['ayz_auth.kind'] ?? span.attributes['ayz_auth.reason'])
    ).toEqual(['user', 'user', 'machine', 'token_verification', 'user'])
    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics }
    const exported = JSON.stringify({
      spans: finished.map((span) => ({ name: span.name, attributes: span.attributes })),
      metrics: resourceMetrics,
      events,
      logs: logger.lines,
    })
    for (const token of [user, machine, expired]) {
      expect(exported).not.toContain(token.split('.')[1])
      expect(exported).not.toContain(token.split('.')[2])
    }
  })
})

describe('configuration', () => {
  it('answers a JSON 500 naming the missing variable, logged once, and never throws at construction', async () => {
    const logger = captureLogger()
    const app = apiApp({ logger })
    const token = await auth0.emulator.mintUserToken()
    for (const [vars, named] of [
      [{}, 'AUTH0_DOMAIN'],
      [{ AUTH0_DOMAIN: 'tenant.auth0.com' }, 'AUTH0_API_AUDIENCE'],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        const { status, body } = await send(app, '/api/me', token, vars)
        expect(status).toBe(500)
        expect(body).toEqual({
          error: 'configuration_error',
          message: expect.stringContaining(named),
        })
      }
    }
    expect(logger.lines.filter((line) => line.startsWith('error'))).toHaveLength(2)
  })

  it('refuses HS256, none and a plain-http base URL off loopback in the environment, naming the variable', async () => {
    const app = apiApp()
    const token = await auth0.emulator.mintUserToken()
    for (const [vars, named] of [
      [{ AUTH0_ALGORITHMS: 'RS256,HS256' }, 'AUTH0_ALGORITHMS'],
      [{ AUTH0_ALGORITHMS: 'none' }, 'AUTH0_ALGORITHMS'],
      [{ AUTH0_BASE_URL: 'http://tenant.example.com' }, 'AUTH0_BASE_URL'],
      [{ AUTH0_DOMAIN: 'http://tenant.example.com/x' }, 'AUTH0_DOMAIN'],
    ] as const) {
      const { status, body } = await send(app, '/api/me', token, { ...env, ...vars })
      expect({ vars, status, error: body.error }).toEqual({
        vars,
        status: 500,
        error: 'configuration_error',
      })
      expect(body.message).toContain(named)
    }
  })

  it('names AUTH0_CACHE_SECRET when a shared cache has nothing to seal with', async () => {
    const app = apiApp({ cache: memoryCache() })
    const { status, body } = await send(app, '/api/me', await auth0.emulator.mintUserToken())
    expect(status).toBe(500)
    expect(body.message).toContain('AUTH0_CACHE_SECRET')
  })

  it('accepts RS256 and PS256 from AUTH0_ALGORITHMS', async () => {
    const app = apiApp()
    const token = await auth0.emulator.mintUserToken()
    expect(
      (await send(app, '/api/me', token, { ...env, AUTH0_ALGORITHMS: 'RS256, PS256' })).status
    ).toBe(200)
  })

  it('throws at construction for options of the wrong type or value', () => {
    const wrong: unknown[] = [
      { algorithms: ['HS256'] },
      { algorithms: [] },
      { domain: 42 },
      { baseUrl: 'http://tenant.example.com' },
      { acceptTokens: ['session'] },
      { l1Ttl: -1 },
    ]
    for (const options of wrong)
      expect(() => auth0Auth(options as Auth0AuthOptions)).toThrow(ConfigurationError)
    expect(() => auth0Auth({ algorithms: ['HS256'] })).toThrow(
      /auth0Auth\(\) options: option algorithms/
    )
  })
})

describe('types', () => {
  it('narrow c.var.auth on kind, by acceptTokens and optional', () => {
    type AuthOf<M> =
      M extends MiddlewareHandler<infer E>
        ? E extends { Variables: { auth: infer A } }
          ? A
          : never
        : never
    expectTypeOf<AuthOf<ReturnType<typeof auth0Auth>>>().toEqualTypeOf<
      UserContext | MachineContext
    >()
    const machines = auth0Auth({ acceptTokens: ['m2m'] })
    expectTypeOf<AuthOf<typeof machines>>().toEqualTypeOf<MachineContext>()
    const keysOrUsers = auth0Auth({ acceptTokens: ['user', 'api_key'], optional: true })
    expectTypeOf<AuthOf<typeof keysOrUsers>>().toEqualTypeOf<UserContext | ApiKeyContext | null>()
    const optional = auth0Auth({ optional: true })
    expectTypeOf<AuthOf<typeof optional>>().toEqualTypeOf<UserContext | MachineContext | null>()
    expectTypeOf<UserContext | MachineContext>().toMatchTypeOf<Principal>()
  })
})
