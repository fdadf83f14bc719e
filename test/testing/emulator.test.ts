import { StytchError } from 'stytch'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  defaultPolicy,
  endpoints,
  startStytchEmulator,
  stytchEmulator,
  type EmulatedSession,
  type FactorType,
  type M2MClientCredentials,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { basic } from './clients.ts'

const marker = 'x-stytch-emulator'
const noCalls = Object.fromEntries([...endpoints, 'total'].map((name) => [name, 0]))

describe('calls', () => {
  it('counts every request that reached an endpoint, faulted or not, and no other', async () => {
    const running = await startStytchEmulator()
    try {
      const { sessionToken, sessionJwt } = await running.emulator.seed()
      const client = running.client()
      await client.sessions.authenticate({ session_token: sessionToken })
      await client.sessions.authenticateJwtLocal({ session_jwt: sessionJwt })
      await client.sessions.authenticateJwtLocal({ session_jwt: sessionJwt })
      running.emulator.injectFault(
        { kind: 'status', status: 500 },
        { endpoint: 'revoke', times: 1 }
      )
      await client.sessions.revoke({ session_token: sessionToken }).catch(() => undefined)
      await client.sessions.revoke({ session_token: sessionToken })
      await fetch(`${running.url}/v1/b2b/unknown`).then((response) => response.body?.cancel())
      await fetch(`${running.url}/_emulator/calls`, { headers: basic(running) }).then((response) =>
        response.json()
      )
      expect(running.emulator.calls).toEqual({
        ...noCalls,
        authenticate: 1,
        revoke: 2,
        jwks: 1,
        total: 5,
      })

      running.emulator.resetCalls()
      expect(running.emulator.calls).toEqual(noCalls)
    } finally {
      await running.close()
    }
  })
})

describe('the admin API over HTTP', () => {
  let running: RunningStytchEmulator
  const admin = async (method: string, path: string, body?: unknown) =>
    fetch(`${running.url}/_emulator${path}`, {
      method,
      headers: { ...basic(running), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterAll(() => running.close())

  it('seeds and creates sessions, with dates as ISO strings', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000)
    expiresAt.setMilliseconds(0)
    const seeded = (await (
      await admin('POST', '/seed', {
        member: { email: 'grace@acme.example', roles: ['stytch_admin'] },
        factors: ['password', 'totp'],
        customClaims: { plan: 'pro' },
        expiresAt: expiresAt.toISOString(),
      })
    ).json()) as EmulatedSession
    expect(seeded.member).toMatchObject({
      email_address: 'grace@acme.example',
      name: 'Ada Example',
      is_admin: true,
    })
    expect(seeded.session).toMatchObject({
      expires_at: expiresAt.toISOString().replace('.000', ''),
      roles: ['stytch_member', 'stytch_admin'],
    })
    const response = await running
      .client()
      .sessions.authenticate({ session_token: seeded.sessionToken })
    expect(response.member_session.custom_claims).toEqual({ plan: 'pro' })

    const second = (await (
      await admin('POST', '/sessions', { memberId: seeded.member.member_id })
    ).json()) as EmulatedSession
    expect(second.member.member_id).toBe(seeded.member.member_id)
    expect(second.sessionToken).not.toBe(seeded.sessionToken)
    await running.client().sessions.authenticate({ session_jwt: second.sessionJwt })
  })

  it('revokes and expires sessions, and mints JWTs', async () => {
    const [one, two] = [await running.emulator.seed(), await running.emulator.seed()]
    expect((await admin('POST', `/sessions/${one.session.member_session_id}/revoke`)).status).toBe(
      204
    )
    expect((await admin('POST', `/sessions/${two.sessionToken}/expire`)).status).toBe(204)
    for (const { sessionToken } of [one, two]) {
      const error = await running
        .client()
        .sessions.authenticate({ session_token: sessionToken })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StytchError)
    }
    expect((await admin('POST', '/sessions/member-session-test-nope/revoke')).status).toBe(404)

    const three = await running.emulator.seed()
    const minted = await admin('POST', `/sessions/${three.session.member_session_id}/jwt`, {
      issuedAt: new Date(Date.now() - 3_600_000).toISOString(),
    })
    const { sessionJwt } = (await minted.json()) as { sessionJwt: string }
    const fresh = await running.client().sessions.authenticate({ session_jwt: sessionJwt })
    expect(fresh.session_jwt).not.toBe(sessionJwt)
  })

  it('injects faults, reads calls and rotates keys, uncounted and unfaulted itself', async () => {
    const { sessionToken } = await running.emulator.seed()
    running.emulator.resetCalls()
    const injected = await admin('POST', '/faults', {
      fault: { kind: 'status', status: 503 },
      endpoint: 'any',
    })
    expect(await injected.json()).toEqual({ id: expect.stringMatching(/^fault-test-/) })
    const error = await running
      .client()
      .sessions.authenticate({ session_token: sessionToken })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ status_code: 503 })
    expect(await (await admin('GET', '/calls')).json()).toEqual({
      ...noCalls,
      authenticate: 1,
      total: 1,
    })
    expect((await admin('DELETE', '/faults')).status).toBe(204)
    await running.client().sessions.authenticate({ session_token: sessionToken })
    expect((await admin('POST', '/calls/reset')).status).toBe(204)
    expect(running.emulator.calls.total).toBe(0)

    expect((await admin('POST', '/keys/rotate')).status).toBe(204)
    const jwks = (await (
      await fetch(`${running.url}/v1/b2b/sessions/jwks/${running.projectId}`)
    ).json()) as { keys: unknown[] }
    expect(jwks.keys).toHaveLength(2)
    expect((await admin('POST', '/keys/drop-previous')).status).toBe(204)
  })

  it('sets the policy and organization roles, and seeds custom roles', async () => {
    const auditor = {
      role_id: 'auditor',
      description: '',
      permissions: [{ resource_id: 'documents', actions: ['export'] }],
    }
    const policy = { ...defaultPolicy(), roles: [...defaultPolicy().roles, auditor] }
    expect((await admin('PUT', '/policy', policy)).status).toBe(204)
    expect((await running.client().rbac.policy()).policy).toEqual(policy)

    const seeded = (await (
      await admin('POST', '/seed', { organization: { customRoles: [auditor] } })
    ).json()) as EmulatedSession
    expect(seeded.organization.custom_roles).toEqual([auditor])
    const organization_id = seeded.organization.organization_id
    const renamed = { ...auditor, role_id: 'exporter' }
    const put = await admin('PUT', `/organizations/${organization_id}/roles`, { roles: [renamed] })
    expect(put.status).toBe(204)
    const orgPolicy = await running.client().rbac.organizations.getOrgPolicy({ organization_id })
    expect(orgPolicy.org_policy.roles).toEqual([renamed])
    const unknown = await admin('PUT', '/organizations/organization-test-nope/roles', { roles: [] })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error_type: 'organization_not_found' })
    expect((await admin('PUT', '/policy', { roles: [] })).status).toBe(400)
    running.emulator.setPolicy(defaultPolicy())
  })

  it('creates M2M clients and mints M2M and Connected Apps tokens', async () => {
    const created = await admin('POST', '/m2m-clients', {
      scopes: ['read:reports'],
      customClaims: { tier: 'gold' },
    })
    const machine = (await created.json()) as M2MClientCredentials
    const client = running.client()
    const { access_token } = await client.m2m.token({
      client_id: machine.clientId,
      client_secret: machine.clientSecret,
    })
    expect((await client.m2m.authenticateToken({ access_token })).custom_claims).toEqual({
      tier: 'gold',
    })

    const minted = await admin('POST', '/m2m-tokens', {
      clientId: machine.clientId,
      issuedAt: new Date(Date.now() - 7_200_000).toISOString(),
    })
    const { accessToken: expired } = (await minted.json()) as { accessToken: string }
    const refused = await client.m2m
      .authenticateToken({ access_token: expired })
      .catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'jwt_invalid' })

    const { member, organization } = await running.emulator.seed()
    const issued = await admin('POST', '/access-tokens', {
      memberId: member.member_id,
      scopes: ['read:documents'],
      clientId: 'connected-app-test-mcp',
    })
    const { accessToken } = (await issued.json()) as { accessToken: string }
    const claims = await client.idp.introspectTokenLocal(accessToken, {
      authorization_check: {
        organization_id: organization.organization_id,
        resource_id: 'documents',
        action: 'read',
      },
    })
    expect(claims).toMatchObject({ subject: member.member_id, issuer: running.url })
    const nobody = await admin('POST', '/access-tokens', { memberId: 'member-test-x', scopes: [] })
    expect(nobody.status).toBe(404)
    expect(await nobody.json()).toMatchObject({ error_type: 'member_not_found' })
  })

  it('injects faults on the new endpoints by name', async () => {
    const injected = await admin('POST', '/faults', {
      fault: { kind: 'status', status: 500 },
      endpoint: 'orgPolicy',
      times: 1,
    })
    expect(injected.status).toBe(200)
    const { organization } = await running.emulator.seed()
    const request = () =>
      running
        .client()
        .rbac.organizations.getOrgPolicy({ organization_id: organization.organization_id })
    expect(await request().catch((e: unknown) => e)).toMatchObject({ status_code: 500 })
    expect((await request()).status_code).toBe(200)
  })

  it('asks for the project credentials and validates bodies', async () => {
    const anonymous = await fetch(`${running.url}/_emulator/calls`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get(marker)).toBe('ayz-auth')
    expect(await anonymous.json()).toMatchObject({ error_type: 'unauthorized_credentials' })
    const invalid = await admin('POST', '/faults', { fault: { kind: 'meteor' } })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toMatchObject({ status_code: 400, error_type: 'bad_request' })
    const unknownMember = await admin('POST', '/sessions', { memberId: 'member-test-nope' })
    expect(unknownMember.status).toBe(404)
    expect(await unknownMember.json()).toMatchObject({ error_type: 'member_not_found' })
  })
})

describe('safety', () => {
  it('refuses to run under NODE_ENV=production unless forced', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => stytchEmulator()).toThrow(/NODE_ENV=production/)
    expect(stytchEmulator({ allowProduction: true }).projectId).toMatch(/^project-test-/)
  })

  it('marks every response, errors and faults included', async () => {
    const emulator = stytchEmulator()
    const { sessionToken } = await emulator.seed()
    const auth = { authorization: `Basic ${btoa(`${emulator.projectId}:${emulator.secret}`)}` }
    const authenticate = (headers: Record<string, string> = auth) =>
      emulator.request('/v1/b2b/sessions/authenticate', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ session_token: sessionToken }),
      })
    const responses = [
      await authenticate(),
      await authenticate({}),
      await emulator.request(`/v1/b2b/sessions/jwks/${emulator.projectId}`),
      await emulator.request('/v1/b2b/sessions/jwks/project-test-other'),
      await emulator.request('/nowhere'),
      await emulator.request('/_emulator/calls', { headers: auth }),
    ]
    for (const fault of [
      { kind: 'status', status: 429 },
      { kind: 'non-json' },
      { kind: 'truncated-json' },
      { kind: 'wrong-shape' },
      { kind: 'latency', ms: 1 },
    ] as const) {
      emulator.injectFault(fault, { times: 1 })
      responses.push(await authenticate())
    }
    expect(responses.map((response) => response.status)).toEqual([
      200, 401, 200, 404, 404, 200, 429, 502, 200, 200, 200,
    ])
    for (const response of responses) expect(response.headers.get(marker)).toBe('ayz-auth')
  })
})

describe('wire shapes', () => {
  it('builds complete organizations, members, sessions and Stytch error bodies', async () => {
    const emulator = stytchEmulator()
    const { sessionToken, session, member, organization } = await emulator.seed()
    expect(sessionToken).toMatch(/^[A-Za-z0-9_-]{44}$/)
    expect(session.member_session_id).toMatch(/^member-session-test-[0-9a-f-]{36}$/)
    expect(member.member_id).toMatch(/^member-test-[0-9a-f-]{36}$/)
    expect(organization.organization_id).toMatch(/^organization-test-[0-9a-f-]{36}$/)
    expect(Object.keys(organization)).toEqual(
      expect.arrayContaining([
        'organization_logo_url',
        'sso_jit_provisioning',
        'sso_jit_provisioning_allowed_connections',
        'sso_active_connections',
        'email_allowed_domains',
        'email_jit_provisioning',
        'email_invites',
        'auth_methods',
        'allowed_auth_methods',
        'mfa_policy',
        'rbac_email_implicit_role_assignments',
        'mfa_methods',
        'allowed_mfa_methods',
        'oauth_tenant_jit_provisioning',
        'claimed_email_domains',
        'first_party_connected_apps_allowed_type',
        'allowed_first_party_connected_apps',
        'third_party_connected_apps_allowed_type',
        'allowed_third_party_connected_apps',
        'custom_roles',
      ])
    )
    expect(member.roles).toEqual([
      { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
    ])

    const error = await emulator.request('/v1/b2b/sessions/authenticate', { method: 'POST' })
    const body = (await error.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([
      'error_message',
      'error_type',
      'error_url',
      'request_id',
      'status_code',
    ])
    expect(body).toMatchObject({
      status_code: 401,
      error_url:
        'https://stytch.com/docs/api-reference/b2b/api/errors/401#unauthorized_credentials',
    })
  })

  it('expands each factor type to a delivery method and its sub-object', async () => {
    const expected: Record<FactorType, [string, string | undefined]> = {
      magic_link: ['email', 'email_factor'],
      email_otp: ['email', 'email_factor'],
      password: ['knowledge', 'email_factor'],
      otp: ['sms', 'phone_number_factor'],
      oauth: ['oauth_google', 'google_oauth_factor'],
      sso: ['sso_saml', 'saml_sso_factor'],
      totp: ['authenticator_app', 'authenticator_app_factor'],
      recovery_codes: ['recovery_code', 'recovery_code_factor'],
      impersonated: ['impersonation', 'impersonated_factor'],
      imported: ['imported_auth0', undefined],
      trusted_auth_token: ['trusted_token_exchange', 'trusted_auth_token_factor'],
    }
    const types = Object.keys(expected) as FactorType[]
    const { session } = await stytchEmulator().seed({ factors: types })
    session.authentication_factors.forEach((factor, index) => {
      const [deliveryMethod, subObject] = expected[types[index] as FactorType]
      expect(factor.delivery_method).toBe(deliveryMethod)
      expect(Object.keys(factor).filter((key) => key.endsWith('_factor'))).toEqual(
        subObject ? [subObject] : []
      )
      expect(factor.last_authenticated_at).toBe(session.started_at)
    })
  })
})

describe('organization slugs', () => {
  it('are unique, as in Stytch: a derived slug gets a suffix, a given slug that is taken throws', () => {
    const emulator = stytchEmulator()
    expect(emulator.createOrganization({ name: 'Acme' }).organization_slug).toBe('acme')
    expect(emulator.createOrganization({ name: 'Acme' }).organization_slug).toBe('acme-2')
    expect(() => emulator.createOrganization({ name: 'Other', slug: 'acme' })).toThrow(
      'organization_slug_already_used'
    )
  })
})
