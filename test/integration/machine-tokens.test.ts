/**
 * Machines and agents in the same middleware: Stytch M2M tokens and Connected Apps access tokens,
 * accepted where a route says so (`acceptTokens`), verified locally once, checked for scopes with
 * RFC 6750's 403, and refused (401) everywhere else; the real SDK's own local checks are the oracle.
 */
import { Hono } from 'hono'
import { ClientError, type B2BClient } from 'stytch'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  protectedResourceMetadata,
  requireEntitlement,
  requireFactors,
  requireOrganization,
  requirePermission,
  requireScopes,
  stytchAuth,
  toMcpAuthInfo,
  type EntitlementSource,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import {
  startStytchEmulator,
  type M2MClientCredentials,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
let client: B2BClient
let machine: M2MClientCredentials
beforeAll(async () => {
  stytch = await startStytchEmulator()
  client = stytch.client()
  machine = stytch.emulator.createM2MClient({
    scopes: ['read:reports', 'write:*'],
    customClaims: { team: 'billing' },
  })
})
afterAll(() => stytch.close())
beforeEach(() => stytch.emulator.resetCalls())

let prefixes = 0
function options(extra: StytchAuthOptions = {}): StytchAuthOptions {
  return {
    projectId: stytch.projectId,
    secret: stytch.secret,
    baseUrl: stytch.url,
    prefix: `machines_${++prefixes}`,
    logger: captureLogger(),
    ...extra,
  }
}

/** An app whose `/api` accepts `tokens`, with the guards users put on machine routes. */
function app(extra: StytchAuthOptions = {}) {
  const server = new Hono<PrincipalEnv>()
  server.use('/api/*', stytchAuth(options(extra)))
  server.get('/api/whoami', (c) => c.json(c.var.auth))
  server.get('/api/reports', requireScopes('read:reports'), (c) =>
    c.json({ kind: c.var.auth.kind })
  )
  server.get('/api/billing', requireScopes('read:billing', 'write:billing'), (c) => c.text('ok'))
  server.get('/api/documents', requirePermission('documents', 'read'), (c) => c.text('ok'))
  server.get('/api/delete', requirePermission('documents', 'delete'), (c) => c.text('ok'))
  server.get(
    '/api/orgs/:org',
    requireOrganization((c) => c.req.param('org')),
    (c) => c.text('ok')
  )
  server.get('/api/mfa', requireFactors('mfa'), (c) => c.text('ok'))
  return server
}

async function m2mToken(scopes?: string[]): Promise<string> {
  const response = await client.m2m.token({
    client_id: machine.clientId,
    client_secret: machine.clientSecret,
    ...(scopes ? { scopes } : {}),
  })
  return response.access_token
}

describe('M2M tokens', () => {
  it('the SDK obtains one from the emulator and accepts it; so does an m2m route; a session route answers 401', async () => {
    const token = await m2mToken()
    expect(await client.m2m.authenticateToken({ access_token: token })).toMatchObject({
      client_id: machine.clientId,
      scopes: ['read:reports', 'write:*'],
    })
    const m2m = app({ acceptTokens: ['m2m'] })
    const res = await m2m.request('/api/whoami', bearer(token))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      kind: 'machine',
      clientId: machine.clientId,
      scopes: ['read:reports', 'write:*'],
      customClaims: { team: 'billing' },
      expiresAt: expect.stringMatching(/^\d{4}-/),
    })
    const sessionsOnly = app()
    const refused = await sessionsOnly.request('/api/whoami', bearer(token))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ type: 'token_verification' })
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })

  it('is verified once, then served from process memory: no Stytch call per request', async () => {
    const token = await m2mToken()
    const server = app({ acceptTokens: ['session', 'm2m'] })
    stytch.emulator.resetCalls()
    for (let i = 0; i < 20; i++)
      expect((await server.request('/api/reports', bearer(token))).status).toBe(200)
    expect(stytch.emulator.calls.total).toBeLessThanOrEqual(1) // the key set, once at most
  })

  it('a missing scope is a 403 insufficient_scope with the RFC 6750 challenge', async () => {
    const server = app({ acceptTokens: ['m2m'] })
    const token = await m2mToken(['read:reports'])
    expect(
      await client.m2m
        .authenticateToken({ access_token: token, required_scopes: ['read:billing'] })
        .catch((e: ClientError) => e.code)
    ).toBe('missing_scopes')
    const res = await server.request('/api/billing', bearer(token))
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="read:billing write:billing"'
    )
    expect(await res.json()).toEqual({
      error: 'insufficient_scope',
      type: 'authorization',
      message: "Missing required scopes: ['read:billing', 'write:billing']",
      required_scopes: ['read:billing', 'write:billing'],
    })
  })

  it('scopes follow the SDK rule: action:* covers every resource of the action', async () => {
    const server = app({ acceptTokens: ['m2m'] })
    const wide = await m2mToken() // read:reports write:*
    expect((await server.request('/api/reports', bearer(wide))).status).toBe(200)
    // requirePermission('documents', 'read') needs read:documents (or read:*): not held.
    expect((await server.request('/api/documents', bearer(wide))).status).toBe(403)
    for (const required of [
      ['write:billing'],
      ['write:anything', 'read:reports'],
      ['read:billing'],
    ]) {
      const sdk = await client.m2m
        .authenticateToken({ access_token: wide, required_scopes: required })
        .then(
          () => true,
          () => false
        )
      const guard = new Hono<PrincipalEnv>()
      guard.use('*', stytchAuth(options({ acceptTokens: ['m2m'] })))
      guard.get('/', requireScopes(...required), (c) => c.text('ok'))
      expect((await guard.request('/', bearer(wide))).status === 200).toBe(sdk)
    }
  })

  it('member-only guards answer 403 for a machine: no factors, no organization', async () => {
    const server = app({ acceptTokens: ['m2m'] })
    const token = await m2mToken()
    const mfa = await server.request('/api/mfa', bearer(token))
    expect(mfa.status).toBe(403)
    expect(await mfa.json()).toMatchObject({ error: 'insufficient_authentication' })
    const org = await server.request('/api/orgs/organization-test-x', bearer(token))
    expect(await org.json()).toMatchObject({ error: 'tenancy_mismatch' })
  })
})

describe('Connected Apps access tokens', () => {
  it('pass the SDK’s introspectTokenLocal and an oauth route; a session route answers 401', async () => {
    const seeded = await stytch.emulator.seed({ organization: { slug: 'acme-oauth' } })
    const token = await stytch.emulator.mintAccessToken({
      memberId: seeded.member.member_id,
      scopes: ['read:documents'],
      clientId: 'connected-app-test-1',
    })
    const sdk = await client.idp.introspectTokenLocal(token)
    expect(sdk).toMatchObject({ subject: seeded.member.member_id, scope: 'read:documents' })
    const oauth = app({ acceptTokens: ['oauth'] })
    const res = await oauth.request('/api/whoami', bearer(token))
    expect(await res.json()).toMatchObject({
      kind: 'oauth',
      memberId: seeded.member.member_id,
      organizationId: seeded.organization.organization_id,
      organizationSlug: 'acme-oauth',
      clientId: 'connected-app-test-1',
      scopes: ['read:documents'],
    })
    expect((await app().request('/api/whoami', bearer(token))).status).toBe(401)
    expect(
      (await app({ acceptTokens: ['m2m'] }).request('/api/whoami', bearer(token))).status
    ).toBe(401)
  })

  it('permissions follow the policy’s scopes, as the SDK’s authorization_check; tenancy holds', async () => {
    const seeded = await stytch.emulator.seed()
    const orgId = seeded.organization.organization_id
    const server = app({ acceptTokens: ['oauth'] })
    for (const scopes of [['read:documents'], ['write:documents'], ['manage:documents'], []]) {
      const token = await stytch.emulator.mintAccessToken({
        memberId: seeded.member.member_id,
        scopes,
      })
      for (const [path, action] of [
        ['/api/documents', 'read'],
        ['/api/delete', 'delete'],
      ] as const) {
        const sdk = await client.idp
          .introspectTokenLocal(token, {
            authorization_check: { organization_id: orgId, resource_id: 'documents', action },
          })
          .then(
            () => 200,
            () => 403
          )
        expect((await server.request(path, bearer(token))).status).toBe(sdk)
      }
      expect((await server.request(`/api/orgs/${orgId}`, bearer(token))).status).toBe(200)
      expect(
        (await server.request('/api/orgs/organization-test-other', bearer(token))).status
      ).toBe(403)
    }
  })

  it('loads the organization’s entitlements for the member acting through the app', async () => {
    const seeded = await stytch.emulator.seed()
    const entitlements: EntitlementSource = {
      schema: (await import('../../src/index.ts')).DEFAULT_SCHEMA,
      findOrganization: async () => ({
        _id: '507f1f77bcf86cd799439011',
        entitlements: ['foresight'],
        subscription_tier: 'pro',
      }),
      findMember: async () => null,
    }
    const server = new Hono<PrincipalEnv>()
    server.use('*', stytchAuth(options({ acceptTokens: ['oauth', 'm2m'], entitlements })))
    server.get('/foresight', requireEntitlement('foresight'), (c) =>
      c.json(c.var.auth.entitlements)
    )
    const token = await stytch.emulator.mintAccessToken({
      memberId: seeded.member.member_id,
      scopes: [],
    })
    expect(await (await server.request('/foresight', bearer(token))).json()).toEqual(['foresight'])
    const forMachine = await server.request('/foresight', bearer(await m2mToken()))
    expect(forMachine.status).toBe(403)
  })
})

describe('MCP discovery', () => {
  const RESOURCE = 'https://api.example.test/mcp'
  const METADATA = 'https://api.example.test/.well-known/oauth-protected-resource'

  it('every 401 names the metadata document, which names Stytch as the authorization server', async () => {
    const server = new Hono()
    server.get(
      '/.well-known/oauth-protected-resource',
      protectedResourceMetadata({
        resource: RESOURCE,
        scopesSupported: ['read:documents'],
        stytch: options(),
      })
    )
    server.use(
      '/mcp',
      stytchAuth(options({ acceptTokens: ['oauth'], resourceMetadataUrl: METADATA }))
    )
    server.post('/mcp', requireScopes('read:documents'), (c) => c.text('ok'))
    const anonymous = await server.request('/mcp', { method: 'POST' })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${METADATA}"`)
    const invalid = await server.request('/mcp', { method: 'POST', ...bearer('a.b.c') })
    expect(invalid.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", resource_metadata="${METADATA}"`
    )
    const seeded = await stytch.emulator.seed()
    const unscoped = await stytch.emulator.mintAccessToken({
      memberId: seeded.member.member_id,
      scopes: [],
    })
    const forbidden = await server.request('/mcp', { method: 'POST', ...bearer(unscoped) })
    expect(forbidden.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="read:documents", resource_metadata="${METADATA}"`
    )
    const document = await server.request('/.well-known/oauth-protected-resource')
    expect(await document.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [stytch.url],
      scopes_supported: ['read:documents'],
      bearer_methods_supported: ['header'],
    })
  })

  it('toMcpAuthInfo gives the MCP SDK’s AuthInfo, with the token only when the request is passed', async () => {
    const seeded = await stytch.emulator.seed()
    const token = await stytch.emulator.mintAccessToken({
      memberId: seeded.member.member_id,
      scopes: ['read:documents'],
      clientId: 'app-1',
    })
    const server = new Hono<PrincipalEnv>()
    server.use('*', stytchAuth(options({ acceptTokens: ['oauth'] })))
    server.get('/', (c) =>
      c.json({ without: toMcpAuthInfo(c.var.auth), withRequest: toMcpAuthInfo(c.var.auth, c) })
    )
    const body = (await (await server.request('/', bearer(token))).json()) as Record<
      string,
      Record<string, unknown>
    >
    expect(body.without).toMatchObject({
      token: '',
      clientId: 'app-1',
      scopes: ['read:documents'],
      expiresAt: expect.any(Number),
      extra: { kind: 'oauth', memberId: seeded.member.member_id },
    })
    expect(body.withRequest?.token).toBe(token)
  })
})
