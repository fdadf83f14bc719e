/**
 * The runtime conformance suite: one app (conformance-worker.ts: the Workers example, from the
 * built package, with routes for access tokens, RBAC and telemetry) served by Node, Bun, Deno and workerd, each configured only by its own
 * environment (workerd: bindings), and the same behavioural checks against each over HTTP. A
 * runtime that cannot start fails its checks; nothing is skipped.
 */
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'
import {
  auth0MachineToken,
  L1_TTL_SECONDS,
  m2mToken,
  seedAuth0Customer,
  seedCustomer,
  startConformanceBackends,
  type ConformanceBackends,
  type Customer,
} from './conformance-backends.ts'
import type { ExportedSpan, ExportedTelemetry } from './conformance-telemetry.ts'
import type { RuntimeProbe } from './conformance-worker.ts'
import { RUNTIMES, startRuntime, type RunningRuntime, type RuntimeName } from './runtimes.ts'

interface Stack {
  readonly app: RunningRuntime
  readonly backends: ConformanceBackends
}

let redis: RedisServer
const stacks = new Map<RuntimeName, Promise<Stack>>()

async function startStack(name: RuntimeName): Promise<Stack> {
  const backends = await startConformanceBackends(redis.url, `conformance_${name}`)
  try {
    return { app: await startRuntime(name, backends.config), backends }
  } catch (error) {
    await backends.close()
    throw error
  }
}

beforeAll(async () => {
  redis = await startRedisServer()
  for (const name of RUNTIMES) {
    const stack = startStack(name)
    stack.catch(() => {}) // reported by that runtime's own checks
    stacks.set(name, stack)
  }
})

afterAll(async () => {
  const settled = await Promise.allSettled(stacks.values())
  for (const result of settled) {
    if (result.status !== 'fulfilled') continue
    await result.value.app.stop()
    await result.value.backends.close()
  }
  await redis?.stop()
})

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } })
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe.each(RUNTIMES)('on %s', (name) => {
  let app: RunningRuntime
  let backends: ConformanceBackends
  beforeAll(async () => {
    const stack = await stacks.get(name)
    if (!stack) throw new Error(`${name} was never started`)
    ;({ app, backends } = stack)
  })
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`What ${name} printed:\n${app.output()}`))
  })
  const get = (path: string, init?: RequestInit) => fetch(`${app.url}${path}`, init)
  const json = async (path: string, init?: RequestInit) => {
    const response = await get(path, init)
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    }
  }
  const stytchCalls = () => backends.stytch.emulator.calls.authenticate

  it('runs as itself and reads its configuration from its own environment', async () => {
    const probe = (await (await get('/__runtime')).json()) as RuntimeProbe
    expect(probe.runtime).toBe(name)
    expect(probe.projectIdInEnv).toBe(true)
    // workerd: no process.env exists, so the settings can only have come from the bindings.
    expect(probe.processEnvExists).toBe(name !== 'workerd')
  })

  it('answers public routes without a token', async () => {
    expect(await json('/')).toMatchObject({
      status: 200,
      body: { message: 'This endpoint is public' },
    })
  })

  it('answers 401 token_extraction, with WWW-Authenticate, when there is no token', async () => {
    const { status, headers, body } = await json('/api/me')
    expect({ status, body }).toMatchObject({
      status: 401,
      body: { error: 'authentication_failed', type: 'token_extraction' },
    })
    expect(headers.get('www-authenticate')).toMatch(/^Bearer/)
  })

  it('answers 401 token_verification for a token Stytch rejects', async () => {
    const { status, body } = await json('/api/me', bearer('not-a-real-session-token-0123456789'))
    expect({ status, body }).toMatchObject({
      status: 401,
      body: { error: 'authentication_failed', type: 'token_verification' },
    })
  })

  it('authenticates a session token, with entitlements and team from the Data API', async () => {
    const ada = await seedCustomer(backends, { name: 'Ada Admin' })
    const { status, body } = await json('/api/me', bearer(ada.token))
    expect(status).toBe(200)
    expect(body).toMatchObject({
      memberId: ada.memberId,
      organizationId: ada.organizationId,
      memberEmail: 'ada@acme.example',
      memberName: 'Ada Admin',
      entitlementsStatus: 'loaded',
      entitlements: ['foresight', 'byod'],
      subscriptionTier: 'standard',
      currentTeamName: 'Engineering',
    })
    expect(JSON.stringify(body)).not.toContain(ada.token)
  })

  it('calls Stytch once per token, however many requests race for it', async () => {
    const { token } = await seedCustomer(backends)
    const before = stytchCalls()
    const racing = await Promise.all(Array.from({ length: 8 }, () => get('/api/me', bearer(token))))
    const later = await get('/api/me', bearer(token))
    expect([...racing, later].map((response) => response.status)).toEqual(Array(9).fill(200))
    expect(stytchCalls() - before).toBe(1)
  })

  it('shares verified sessions through Upstash: sealed under the token digest, served after L1 expires', async () => {
    const { token } = await seedCustomer(backends)
    const before = stytchCalls()
    expect((await get('/api/me', bearer(token))).status).toBe(200)
    const stored = (await redis.keys()).find(
      (entry) => entry.key === `${backends.prefix}:session:${sha256(token)}`
    )
    expect(stored?.ttlSeconds).toBeGreaterThan(0)
    expect(stored?.value.toString()).not.toContain(token)

    await sleep(L1_TTL_SECONDS * 1000 + 200)
    const upstashRequests = backends.upstash.requests
    expect((await get('/api/me', bearer(token))).status).toBe(200)
    expect(backends.upstash.requests).toBeGreaterThan(upstashRequests)
    expect(stytchCalls() - before).toBe(1)
  })

  it('verifies a session JWT locally against the JWKS, without sessions.authenticate', async () => {
    const { jwt, memberId } = await seedCustomer(backends)
    const before = stytchCalls()
    const { status, body } = await json('/api/me', bearer(jwt))
    expect({ status, memberId: body.memberId }).toEqual({ status: 200, memberId })
    expect(stytchCalls()).toBe(before)
    expect(backends.stytch.emulator.calls.jwks).toBeGreaterThanOrEqual(1)
  })

  it('lets guests and invalid tokens through optional routes as anonymous, and greets members', async () => {
    const { token } = await seedCustomer(backends, { name: 'Grace Hopper' })
    expect(await json('/shop')).toMatchObject({ status: 200, body: { message: 'Hello, guest' } })
    expect(await json('/shop', bearer('not-a-real-session-token-0123456789'))).toMatchObject({
      status: 200,
      body: { message: 'Hello, guest' },
    })
    expect(await json('/shop', bearer(token))).toMatchObject({
      status: 200,
      body: { message: 'Welcome back, Grace Hopper' },
    })
  })

  it('guards claims and factors with the 403 bodies of the original', async () => {
    const member = await seedCustomer(backends, { factors: ['magic_link'] })
    const admin = await seedCustomer(backends, {
      claims: { admin: true },
      factors: ['password', 'totp'],
    })
    expect(await json('/api/admin', bearer(member.token))).toMatchObject({
      status: 403,
      body: { error: 'insufficient_permissions', type: 'authorization' },
    })
    expect(await json('/api/secure', bearer(member.token))).toMatchObject({
      status: 403,
      body: { error: 'insufficient_authentication', type: 'authorization' },
    })
    expect((await get('/api/admin', bearer(admin.token))).status).toBe(200)
    expect(await json('/api/secure', bearer(admin.token))).toMatchObject({
      status: 200,
      body: { factors: ['password', 'totp'] },
    })
  })

  it('guards entitlements from the Data API: through when entitled, 403 upgrade prompt when not', async () => {
    const entitled = await seedCustomer(backends, { entitlements: ['foresight'], tier: 'standard' })
    const free = await seedCustomer(backends, { entitlements: [], tier: 'free' })
    expect(await json('/api/foresight', bearer(entitled.token))).toMatchObject({
      status: 200,
      body: { tier: 'standard' },
    })
    expect(await json('/api/foresight', bearer(free.token))).toMatchObject({
      status: 403,
      body: {
        error: 'forbidden',
        required_entitlement: 'foresight',
        current_tier: 'free',
        upgrade_required: true,
      },
    })
    expect(await json('/api/advanced', bearer(entitled.token))).toMatchObject({
      status: 403,
      body: { error: 'forbidden', missing_entitlements: ['advanced_analytics'] },
    })
  })

  it('answers 503 stytch_api with Retry-After when Stytch fails, never 401', async () => {
    const { token } = await seedCustomer(backends)
    const outage = backends.stytch.emulator.injectFault(
      { kind: 'status', status: 503 },
      { endpoint: 'authenticate' }
    )
    try {
      const { status, headers, body } = await json('/api/me', bearer(token))
      expect({ status, body }).toMatchObject({
        status: 503,
        body: { error: 'service_unavailable', type: 'stytch_api' },
      })
      expect(Number(headers.get('retry-after'))).toBeGreaterThan(0)
    } finally {
      outage.remove()
    }
    expect((await get('/api/me', bearer(token))).status).toBe(200)
  })

  it('answers 503 entitlements when the Data API is unreachable, never a 403 upgrade prompt', async () => {
    const { token } = await seedCustomer(backends)
    await backends.dataApi.faults.down()
    try {
      expect(await json('/api/foresight', bearer(token))).toMatchObject({
        status: 503,
        body: { error: 'service_unavailable', type: 'entitlements' },
      })
    } finally {
      await backends.dataApi.faults.up()
    }
  })

  it('revokes a session at Stytch and in every cache tier on logout', async () => {
    const { token } = await seedCustomer(backends)
    expect((await get('/api/me', bearer(token))).status).toBe(200)
    const key = `${backends.prefix}:session:${sha256(token)}`
    expect((await redis.keys()).some((entry) => entry.key === key)).toBe(true)
    expect((await get('/api/logout', { method: 'POST', ...bearer(token) })).status).toBe(204)
    expect(backends.stytch.emulator.calls.revoke).toBeGreaterThanOrEqual(1)
    expect((await redis.keys()).some((entry) => entry.key === key)).toBe(false)
    expect((await get('/api/me', bearer(token))).status).toBe(401)
  })

  it('accepts an M2M token from the token endpoint on M2M routes only, verified locally', async () => {
    const REPORTS_SCOPE = 'read:reports' // what /tokens/m2m/reports requires
    const { emulator } = backends.stytch
    const before = emulator.calls
    const { clientId, accessToken } = await m2mToken(backends, ['read:documents'])
    const refused = {
      status: 401,
      body: { error: 'authentication_failed', type: 'token_verification' },
    }
    expect(await json('/api/me', bearer(accessToken))).toMatchObject(refused)
    expect(await json('/tokens/m2m', bearer(accessToken))).toMatchObject({
      status: 200,
      body: { kind: 'machine', clientId, scopes: ['read:documents'] },
    })
    // Once verified (and cached), still refused where sessions or Connected Apps tokens are asked.
    expect(await json('/api/me', bearer(accessToken))).toMatchObject(refused)
    expect(await json('/tokens/oauth', bearer(accessToken))).toMatchObject(refused)

    const { status, headers, body } = await json('/tokens/m2m/reports', bearer(accessToken))
    expect({ status, body }).toMatchObject({
      status: 403,
      body: {
        error: 'insufficient_scope',
        type: 'authorization',
        required_scopes: [REPORTS_SCOPE],
      },
    })
    expect(headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="${REPORTS_SCOPE}"`
    )
    const reporter = await m2mToken(backends, [REPORTS_SCOPE])
    expect(await json('/tokens/m2m/reports', bearer(reporter.accessToken))).toMatchObject({
      status: 200,
      body: { clientId: reporter.clientId },
    })

    const after = emulator.calls
    expect(after.token - before.token).toBe(2)
    expect(after.authenticate - before.authenticate).toBe(0)
    expect(after.introspect - before.introspect).toBe(0)
  })

  it('accepts a Connected Apps token on OAuth routes only, as the member it acts for', async () => {
    const { emulator } = backends.stytch
    const { memberId, organizationId } = await seedCustomer(backends)
    const before = emulator.calls
    const token = await emulator.mintAccessToken({ memberId, scopes: ['read:documents'] })
    expect(await json('/tokens/oauth', bearer(token))).toMatchObject({
      status: 200,
      body: { kind: 'oauth', memberId, organizationId, scopes: ['read:documents'] },
    })
    const refused = {
      status: 401,
      body: { error: 'authentication_failed', type: 'token_verification' },
    }
    expect(await json('/api/me', bearer(token))).toMatchObject(refused)
    expect(await json('/tokens/m2m', bearer(token))).toMatchObject(refused)
    const after = emulator.calls
    expect(after.authenticate - before.authenticate).toBe(0)
    expect(after.introspect - before.introspect).toBe(0)
  })

  it('tells sessions, M2M and Connected Apps tokens apart on a route that accepts all three', async () => {
    const member = await seedCustomer(backends)
    const { accessToken } = await m2mToken(backends, ['read:documents'])
    const oauthToken = await backends.stytch.emulator.mintAccessToken({
      memberId: member.memberId,
      scopes: ['read:documents'],
    })
    const kinds = await Promise.all(
      [member.token, member.jwt, accessToken, oauthToken].map(
        async (token) => (await json('/tokens/any', bearer(token))).body.kind
      )
    )
    expect(kinds).toEqual(['member', 'member', 'machine', 'oauth'])
  })

  it('decides requirePermission and requireOrganization locally, from a policy fetched once', async () => {
    const { emulator } = backends.stytch
    const editor = await seedCustomer(backends, { roles: ['editor'] })
    const reader = await seedCustomer(backends)
    const before = emulator.calls
    const write = (customer: Customer) => json('/rbac/documents', bearer(customer.token))
    const forbidden = {
      status: 403,
      body: {
        error: 'insufficient_permissions',
        type: 'authorization',
        required_permission: { resource_id: 'documents', action: 'write' },
      },
    }
    expect(await write(editor)).toMatchObject({ status: 200, body: { memberId: editor.memberId } })
    expect(await write(reader)).toMatchObject(forbidden)
    const documentsOf = (organizationId: string) => `/rbac/orgs/${organizationId}/documents`
    expect(await json(documentsOf(editor.organizationId), bearer(editor.token))).toMatchObject({
      status: 200,
      body: { organizationId: editor.organizationId },
    })
    expect(await json(documentsOf(reader.organizationId), bearer(editor.token))).toMatchObject({
      status: 403,
      body: { error: 'tenancy_mismatch', type: 'authorization' },
    })
    const burst = await Promise.all([editor, reader, editor, reader].map(write))
    expect(burst.map(({ status }) => status)).toEqual([200, 403, 200, 403])
    // Past the in-process tier's lifetime the policy comes from Upstash, not from Stytch again.
    await sleep(L1_TTL_SECONDS * 1000 + 200)
    expect((await write(editor)).status).toBe(200)
    expect(await write(reader)).toMatchObject(forbidden)

    const after = emulator.calls
    expect(after.policy - before.policy).toBe(1)
    expect(after.orgPolicy - before.orgPolicy).toBe(2) // one per organization
  })
  it("limits by the client IP of the runtime's own connection, in process: RateLimit fields, then a 429", async () => {
    // Whatever X-Forwarded-For claims (no proxy is trusted), the connection decides: one budget.
    const burst = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        get('/limited/ip', { headers: { 'x-forwarded-for': `10.0.0.${i}` } })
      )
    )
    expect(burst.map((response) => response.status).sort()).toEqual([200, 200, 200, 429, 429])
    const admitted = burst.filter((response) => response.status === 200)
    expect(admitted.map((response) => response.headers.get('ratelimit-policy'))).toEqual(
      Array(3).fill('"per_ip";q=3;w=60')
    )
    expect(admitted.map((response) => response.headers.get('ratelimit')).sort()).toEqual([
      '"per_ip";r=0;t=20',
      '"per_ip";r=1;t=40',
      '"per_ip";r=2;t=20',
    ])
    const refused = burst.find((response) => response.status === 429) as Response
    expect(refused.headers.get('retry-after')).toBe('20')
    expect(await refused.json()).toEqual({
      error: 'rate_limited',
      type: 'rate_limit',
      message: 'Too many requests: 3 per 60 s',
      retry_after: 20,
    })
  })

  it('limits each member on the shared tier (Upstash), under the digest of the member id', async () => {
    const { token, memberId } = await seedCustomer(backends)
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 4; i++) {
      last = await get('/limited/member', bearer(token))
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last?.headers.get('ratelimit')).toBe('"per_member";r=0;t=20')
    expect(Number(last?.headers.get('retry-after'))).toBe(20)
    const key = `${backends.prefix}:rl:per_member:{${sha256(`member:${memberId}`)}}`
    const stored = (await redis.keys()).find((entry) => entry.key === key)
    expect(stored?.ttlSeconds).toBeGreaterThan(55)
    // Another member of the same app has a budget of their own.
    expect(
      (await get('/limited/member', bearer((await seedCustomer(backends)).token))).status
    ).toBe(200)
  })

  it('authenticates Auth0 user and M2M tokens as user and machine, verified locally once', async () => {
    const { emulator } = backends.auth0
    const customer = await seedAuth0Customer(backends, ['read:documents'])
    const { clientId, accessToken } = await auth0MachineToken(backends, ['read:reports'])
    const before = emulator.calls
    expect(await json('/auth0/me', bearer(customer.token))).toMatchObject({
      status: 200,
      body: {
        kind: 'user',
        userId: customer.userId,
        organizationId: customer.orgId,
        organizationName: customer.orgName,
        permissions: ['read:documents'],
        entitlementsStatus: 'loaded',
        currentTeamName: 'Platform',
      },
    })
    expect(await json('/auth0/me', bearer(accessToken))).toMatchObject({
      status: 200,
      body: { kind: 'machine', clientId, scopes: ['read:reports'] },
    })
    for (let i = 0; i < 3; i++)
      expect((await get('/auth0/me', bearer(accessToken))).status).toBe(200)
    // At most the one JWKS fetch of a cold key set; nothing else reached the tenant.
    const after = emulator.calls
    expect(after.jwks - before.jwks).toBeLessThanOrEqual(1)
    expect(after.total - before.total).toBe(after.jwks - before.jwks)

    // One character of the signature changed, where every bit of it counts.
    const at = customer.token.length - 10
    const forged = `${customer.token.slice(0, at)}${customer.token[at] === 'A' ? 'B' : 'A'}${customer.token.slice(at + 1)}`
    expect(await json('/auth0/me', bearer(forged))).toMatchObject({
      status: 401,
      body: { error: 'authentication_failed', type: 'token_verification' },
    })
    expect((await get('/auth0/me', bearer(customer.token.replace(/\..*$/, '')))).status).toBe(401)
    // A Stytch route refuses an Auth0 token, and the other way round.
    expect((await get('/api/me', bearer(customer.token))).status).toBe(401)
    expect((await get('/auth0/me', bearer((await seedCustomer(backends)).jwt))).status).toBe(401)
  })

  it('guards Auth0 principals: permissions, scopes, org_id and org_name, entitlements by org_id', async () => {
    const reader = await seedAuth0Customer(backends, ['read:documents'])
    const stranger = await seedAuth0Customer(backends, [])
    const machine = await auth0MachineToken(backends, ['read:reports'])
    expect((await get('/auth0/documents', bearer(reader.token))).status).toBe(200)
    expect(await json('/auth0/documents', bearer(stranger.token))).toMatchObject({
      status: 403,
      body: {
        error: 'insufficient_permissions',
        required_permission: { resource_id: 'documents', action: 'read' },
      },
    })
    expect((await get('/auth0/reports', bearer(machine.accessToken))).status).toBe(200)
    expect(await json('/auth0/reports', bearer(reader.token))).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    })
    for (const org of [reader.orgId, reader.orgName])
      expect((await get(`/auth0/orgs/${org}`, bearer(reader.token))).status).toBe(200)
    expect(await json(`/auth0/orgs/${stranger.orgId}`, bearer(reader.token))).toMatchObject({
      status: 403,
      body: { error: 'tenancy_mismatch' },
    })
    expect((await get(`/auth0/orgs/${reader.orgId}`, bearer(machine.accessToken))).status).toBe(403)
    expect(await json('/auth0/foresight', bearer(reader.token))).toMatchObject({
      status: 200,
      body: { tier: 'standard', team: 'Platform' },
    })
    expect((await get('/auth0/foresight', bearer(machine.accessToken))).status).toBe(403)
  })

  it('refuses an Auth0 token after revokeSession(c), keeping the revocation in Upstash', async () => {
    const { token } = await seedAuth0Customer(backends, [])
    expect((await get('/auth0/me', bearer(token))).status).toBe(200)
    expect((await get('/auth0/logout', { method: 'POST', ...bearer(token) })).status).toBe(204)
    expect((await get('/auth0/me', bearer(token))).status).toBe(401)
    const revoked = (await redis.keys()).find(
      (entry) => entry.key === `${backends.prefix}:revoked:${sha256(token)}`
    )
    expect(revoked?.ttlSeconds).toBeGreaterThan(3600)
    expect(revoked?.value.toString()).not.toContain(token)
  })

  it('reports through OpenTelemetry, onEvent and Server-Timing: a miss, an L1 hit, a rejection', async () => {
    const { token, organizationId } = await seedCustomer(backends)
    const report = async () => (await (await get('/__telemetry')).json()) as ExportedTelemetry
    await report() // drops whatever an earlier run left
    const miss = await get('/otel/me', bearer(token))
    const hit = await get('/otel/me', bearer(token))
    expect([miss.status, hit.status]).toEqual([200, 200])
    expect(miss.headers.get('server-timing')).toMatch(/^auth;dur=\d+\.\d\d;desc="miss"$/)
    expect(hit.headers.get('server-timing')).toMatch(/^auth;dur=\d+\.\d\d;desc="l1"$/)
    expect(await json('/otel/me', bearer('not-a-real-session-token-0123456789'))).toMatchObject({
      status: 401,
      body: { error: 'authentication_failed', type: 'token_verification' },
    })

    const exported = await report()
    const { spans, metrics, events } = exported
    const authentications = spans.filter((span) => span.name === 'ayz_auth.authenticate')
    const authenticated = (tier: string) =>
      expect.objectContaining({
        'ayz_auth.outcome': 'authenticated',
        'ayz_auth.kind': 'member',
        'ayz_auth.cache_tier': tier,
        'ayz_auth.organization_id': organizationId,
      })
    expect(authentications.map((span) => span.attributes)).toEqual([
      authenticated('miss'),
      authenticated('l1'),
      expect.objectContaining({
        'ayz_auth.outcome': 'rejected',
        'ayz_auth.reason': 'token_verification',
      }),
    ])
    expect(
      events.map((event) =>
        event.type === 'authenticated'
          ? [event.type, event.tier]
          : event.type === 'rejected'
            ? [event.type, event.reason]
            : [event.type]
      )
    ).toEqual([
      ['authenticated', 'miss'],
      ['authenticated', 'l1'],
      ['rejected', 'token_verification'],
    ])
    expect(metrics).toContain('ayz_auth.authentications')
    expect(JSON.stringify(exported)).not.toContain(token)

    // The miss asked Stytch: its span is the authentication's child where a context manager
    // exists (serve-conformance.ts registers one on Node, Bun and Deno; workerd has none).
    const [first] = authentications as [ExportedSpan]
    const asked = spans.filter((span) => span.name === 'ayz_auth.stytch')
    expect(asked.length).toBeGreaterThan(0)
    const children = spans.filter((span) => span.parentSpanId === first.spanId)
    const roots = asked.filter((span) => span.parentSpanId === null).length
    console.log(
      `${name}: the miss's ayz_auth.authenticate has children [${children.map((span) => span.name).join(', ')}]; ` +
        `${roots} of ${asked.length} ayz_auth.stytch spans are roots`
    )
    if (name !== 'workerd') {
      expect(children.map((span) => span.name)).toContain('ayz_auth.stytch')
      expect(children.every((span) => span.traceId === first.traceId)).toBe(true)
    }
  })
})
