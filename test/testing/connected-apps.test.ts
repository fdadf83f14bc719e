import { decodeJwt } from 'jose'
import { ClientError, type B2BClient } from 'stytch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  defaultPolicy,
  startStytchEmulator,
  stytchEmulator,
  type EmulatedSession,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { freshClient } from './clients.ts'
import { failure } from './failure.ts'

describe('Connected Apps access tokens', () => {
  let running: RunningStytchEmulator
  let client: B2BClient
  let seeded: EmulatedSession
  beforeAll(async () => {
    running = await startStytchEmulator()
    client = running.client()
    seeded = await running.emulator.seed()
  })
  afterAll(() => running.close())

  const check = (action: string, organization_id = seeded.organization.organization_id) => ({
    authorization_check: { organization_id, resource_id: 'documents', action },
  })

  it('passes idp.introspectTokenLocal with Stytch’s claims, the emulator as issuer', async () => {
    const token = await running.emulator.mintAccessToken({
      memberId: seeded.member.member_id,
      scopes: ['openid', 'read:documents'],
      customClaims: { plan: 'pro', scope: 'evil' },
    })
    const claims = await client.idp.introspectTokenLocal(token)
    expect(claims).toEqual({
      subject: seeded.member.member_id,
      scope: 'openid read:documents',
      audience: [running.projectId],
      issuer: running.url,
      issued_at: expect.any(Number),
      not_before: claims.issued_at,
      expires_at: claims.issued_at + 3600,
      token_type: 'access_token',
      organization: { organization_id: seeded.organization.organization_id, slug: 'acme' },
      custom_claims: { plan: 'pro', client_id: expect.stringMatching(/^connected-app-test-/) },
    })
    expect(decodeJwt(token)).toMatchObject({
      jti: expect.any(String),
      'https://stytch.com/organization': { organization_id: seeded.organization.organization_id },
    })
  })

  it('applies the policy’s scopes under authorization_check, tenancy first', async () => {
    const memberId = seeded.member.member_id
    const reader = await running.emulator.mintAccessToken({ memberId, scopes: ['read:documents'] })
    const manager = await running.emulator.mintAccessToken({
      memberId,
      scopes: ['openid', 'manage:documents'],
      clientId: 'connected-app-test-mcp',
    })
    const local = (token: string, options: ReturnType<typeof check>) =>
      client.idp.introspectTokenLocal(token, options).then(
        () => 'authorized',
        (error: unknown) => (error instanceof ClientError ? error.code : String(error))
      )
    const other = running.emulator.createOrganization({ name: 'Initech' }).organization_id
    expect(await local(reader, check('read'))).toBe('authorized')
    expect(await local(reader, check('write'))).toBe('invalid_permissions')
    expect(await local(reader, check('read', other))).toBe('tenancy_mismatch')
    expect(await local(manager, check('delete'))).toBe('authorized')
    expect(decodeJwt(manager).client_id).toBe('connected-app-test-mcp')

    // A new policy reaches a client whose policy cache is empty.
    running.emulator.setPolicy({ ...defaultPolicy(), scopes: [] })
    expect(
      await client.idp.introspectTokenLocal(reader, check('read')).then(() => 'authorized')
    ).toBe('authorized') // this client still holds the old policy
    const fresh = freshClient(running)
    expect(
      await fresh.idp.introspectTokenLocal(reader, check('read')).catch((e: ClientError) => e.code)
    ).toBe('invalid_permissions')
    running.emulator.setPolicy(defaultPolicy())
  })

  it('forges expired, foreign-issuer and foreign-audience tokens the SDK refuses', async () => {
    const memberId = seeded.member.member_id
    for (const forged of [
      { expiresInSeconds: -1 },
      { issuedAt: new Date(Date.now() - 7_200_000) },
      { issuer: 'https://evil.example' },
      { audience: ['project-test-other'] },
    ]) {
      const token = await running.emulator.mintAccessToken({ memberId, scopes: [], ...forged })
      const error = await failure(client.idp.introspectTokenLocal(token), ClientError)
      expect(error.code).toBe('jwt_invalid')
    }
    await expect(
      running.emulator.mintAccessToken({ memberId: 'member-test-nope', scopes: [] })
    ).rejects.toThrow(/No member/)
  })

  it('issues stytch.com/<project> when the emulator does not know its URL', async () => {
    const emulator = stytchEmulator()
    const { member } = await emulator.seed()
    const token = await emulator.mintAccessToken({ memberId: member.member_id, scopes: [] })
    expect(decodeJwt(token).iss).toBe(`stytch.com/${emulator.projectId}`)
  })

  it('introspects remotely (RFC 7662): active Connected Apps tokens, inactive anything else', async () => {
    const memberId = seeded.member.member_id
    const token = await running.emulator.mintAccessToken({
      memberId,
      scopes: ['read:documents'],
      customClaims: { plan: 'pro' },
    })
    const claims = await client.idp.introspectTokenNetwork(
      { token, client_id: 'connected-app-test-mcp' },
      check('read')
    )
    expect(claims).toMatchObject({
      subject: memberId,
      scope: 'read:documents',
      issuer: running.url,
      token_type: 'access_token',
      organization: { organization_id: seeded.organization.organization_id, slug: 'acme' },
      custom_claims: { plan: 'pro' },
    })
    const inactive = [
      await running.emulator.mintAccessToken({ memberId, scopes: [], expiresInSeconds: -1 }),
      await running.emulator.mintM2MToken({ clientId: 'm2m-client-test-x', scopes: ['a'] }),
      seeded.sessionJwt,
      'not-a-jwt',
    ]
    for (const candidate of inactive) {
      const error = await failure(
        client.idp.introspectTokenNetwork({ token: candidate, client_id: 'c' }),
        ClientError
      )
      expect(error.code).toBe('token_invalid')
    }
    const url = `${running.url}/v1/public/${running.projectId}/oauth2/introspect`
    const raw = await fetch(url, { method: 'POST', body: new URLSearchParams({ token: 'x' }) })
    expect(raw.status).toBe(400)
    expect(await raw.json()).toMatchObject({ error: 'invalid_request' })
  })
})

describe('authorization-server metadata, as MCP clients discover it', () => {
  let running: RunningStytchEmulator
  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterAll(() => running.close())

  /** What `discoverAuthorizationServerMetadata` of `@modelcontextprotocol/sdk` fetches and checks. */
  const discover = async (document: string) => {
    const response = await fetch(new URL(`/.well-known/${document}`, running.url), {
      headers: { 'MCP-Protocol-Version': '2025-06-18' },
    })
    expect(response.status).toBe(200)
    return (await response.json()) as Record<string, unknown>
  }

  it('names the emulator as issuer with endpoints MCP clients require', async () => {
    for (const document of ['oauth-authorization-server', 'openid-configuration']) {
      const metadata = await discover(document)
      expect(metadata).toMatchObject({
        issuer: running.url,
        authorization_endpoint: expect.stringMatching(/^http:\/\//),
        token_endpoint: `${running.url}/v1/public/${running.projectId}/oauth2/token`,
        introspection_endpoint: `${running.url}/v1/public/${running.projectId}/oauth2/introspect`,
        jwks_uri: `${running.url}/v1/b2b/sessions/jwks/${running.projectId}`,
        response_types_supported: expect.arrayContaining(['code']),
        code_challenge_methods_supported: expect.arrayContaining(['S256']),
        grant_types_supported: expect.arrayContaining(['client_credentials']),
        subject_types_supported: expect.any(Array),
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: expect.arrayContaining(['openid', 'read:documents']),
      })
    }
  })

  it('leads to a working token endpoint and the JWKS that verifies its tokens', async () => {
    const metadata = await discover('oauth-authorization-server')
    const machine = running.emulator.createM2MClient({ scopes: ['read:reports'] })
    const response = await fetch(String(metadata.token_endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${machine.clientId}:${machine.clientSecret}`)}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    const { access_token } = (await response.json()) as { access_token: string }
    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as {
      keys: Array<{ kid: string }>
    }
    expect(jwks.keys.map((key) => key.kid)).toContain((await running.emulator.signingKeys()).kid)
    expect((await running.client().m2m.authenticateToken({ access_token })).scopes).toEqual([
      'read:reports',
    ])
  })

  it('lists the policy’s scopes as they change', async () => {
    running.emulator.setPolicy({
      ...defaultPolicy(),
      scopes: [{ scope: 'read:reports', description: '', permissions: [] }],
    })
    const { scopes_supported } = await discover('oauth-authorization-server')
    expect(scopes_supported).toContain('read:reports')
    expect(scopes_supported).not.toContain('read:documents')
  })
})
