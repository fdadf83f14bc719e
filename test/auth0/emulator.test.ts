/**
 * The Auth0 emulator as a client sees it over HTTP: discovery, the JWKS (keys with certificates,
 * rotation and revocation), the client-credentials token endpoint and its errors, /userinfo,
 * /oauth/revoke, injected faults and the request counters.
 */
import { X509Certificate } from 'node:crypto'
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  startAuth0Emulator,
  type RunningAuth0Emulator,
} from '../../src/testing/auth0/start-auth0-emulator.ts'

let auth0: RunningAuth0Emulator
beforeAll(async () => {
  auth0 = await startAuth0Emulator()
})
afterAll(() => auth0.close())
beforeEach(() => auth0.emulator.clearFaults())

async function jwks(): Promise<JSONWebKeySet> {
  const response = await fetch(auth0.jwksUrl)
  expect(response.status).toBe(200)
  return (await response.json()) as JSONWebKeySet
}

function kids(set: JSONWebKeySet): Array<string | undefined> {
  return set.keys.map((key) => key.kid)
}

function tokenRequest(body: Record<string, string>, init: RequestInit = {}) {
  return fetch(`${auth0.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
    ...init,
  })
}

describe('discovery and JWKS', () => {
  it('serves a discovery document whose issuer has the trailing slash', async () => {
    const response = await fetch(`${auth0.url}/.well-known/openid-configuration`)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-auth0-emulator')).toBe('ayz-auth')
    expect(await response.json()).toMatchObject({
      issuer: `${auth0.url}/`,
      jwks_uri: `${auth0.url}/.well-known/jwks.json`,
      token_endpoint: `${auth0.url}/oauth/token`,
      userinfo_endpoint: `${auth0.url}/userinfo`,
      revocation_endpoint: `${auth0.url}/oauth/revoke`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
    })
    expect(auth0.issuer).toBe(`${auth0.url}/`)
    expect(auth0.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('publishes the current and the next key as Auth0 does, each with its certificate', async () => {
    const set = await jwks()
    const current = await auth0.emulator.signingKey('current')
    const next = await auth0.emulator.signingKey('next')
    expect(kids(set)).toEqual([current.kid, next.kid])
    for (const key of set.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t'])
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' })
      const certificate = new X509Certificate(Buffer.from(key.x5c![0]!, 'base64'))
      expect(certificate.verify(certificate.publicKey)).toBe(true)
      expect(certificate.publicKey.export({ format: 'jwk' })).toMatchObject({ n: key.n, e: key.e })
      expect(certificate.fingerprint.replaceAll(':', '').toLowerCase()).toBe(
        Buffer.from(key.x5t!, 'base64url').toString('hex')
      )
    }
  })

  it('signs with the current key; tokens of the next key verify too', async () => {
    const keys = createLocalJWKSet(await jwks())
    for (const key of ['current', 'next'] as const) {
      const token = await auth0.emulator.mintUserToken({ key })
      const { kid } = decodeProtectedHeader(token)
      expect(kid).toBe((await auth0.emulator.signingKey(key)).kid)
      await expect(jwtVerify(token, keys, { issuer: auth0.issuer })).resolves.toBeDefined()
    }
    const unpublished = await auth0.emulator.mintUserToken({ key: 'unpublished' })
    await expect(jwtVerify(unpublished, keys)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
  })

  it('rotates: next becomes current, a new next appears, the previous stays until revoked', async () => {
    await expect(auth0.emulator.revokePreviousKey()).rejects.toThrow(/no previous key/)
    const before = kids(await jwks())
    const old = await auth0.emulator.mintUserToken()
    await auth0.emulator.rotateKeys()
    const after = kids(await jwks())
    expect(after[0]).toBe(before[1])
    expect(after[2]).toBe(before[0])
    expect(after).toHaveLength(3)
    expect(before).not.toContain(after[1])
    expect(decodeProtectedHeader(await auth0.emulator.mintUserToken()).kid).toBe(before[1])
    await expect(jwtVerify(old, createLocalJWKSet(await jwks()))).resolves.toBeDefined()

    await auth0.emulator.revokePreviousKey()
    expect(kids(await jwks())).toEqual(after.slice(0, 2))
    await expect(jwtVerify(old, createLocalJWKSet(await jwks()))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    expect(decodeProtectedHeader(await auth0.emulator.mintUserToken({ key: 'previous' })).kid).toBe(
      before[0]
    )
    await expect(auth0.emulator.revokePreviousKey()).rejects.toThrow(/no previous key/)
    expect(kids(await jwks())).toEqual(after.slice(0, 2))
  })
})

describe('minted tokens', () => {
  it('mints a user token with Auth0’s claims and header', async () => {
    const token = await auth0.emulator.mintUserToken({
      sub: 'auth0|65f0c1',
      permissions: ['read:documents'],
      orgId: 'org_abc',
      orgName: 'acme',
      claims: { 'https://example.test/roles': ['editor'] },
    })
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: (await auth0.emulator.signingKey()).kid,
    })
    const claims = decodeJwt(token)
    expect(claims).toEqual({
      iss: auth0.issuer,
      sub: 'auth0|65f0c1',
      aud: [auth0.audience, `${auth0.issuer}userinfo`],
      iat: expect.any(Number),
      exp: Number(claims.iat) + 86_400,
      scope: 'openid profile email',
      azp: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      org_id: 'org_abc',
      org_name: 'acme',
      permissions: ['read:documents'],
      'https://example.test/roles': ['editor'],
    })
  })

  it('mints the RFC 9068 profile for typ at+jwt, and forges what it is told to', async () => {
    const token = await auth0.emulator.mintUserToken({
      typ: 'at+jwt',
      scope: 'read:documents',
      audience: 'https://other.example.test',
      expiresIn: -60,
      notBefore: 30,
      claims: { iat: undefined },
      header: { jku: 'https://attacker.example/jwks.json' },
    })
    expect(decodeProtectedHeader(token)).toMatchObject({
      typ: 'at+jwt',
      jku: 'https://attacker.example/jwks.json',
    })
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({
      aud: 'https://other.example.test',
      client_id: expect.any(String),
    })
    expect(claims.jti).toEqual(expect.any(String))
    expect(claims).not.toHaveProperty('azp')
    expect(claims).not.toHaveProperty('iat')
    const now = Date.now() / 1000
    expect(Number(claims.exp)).toBeLessThan(now)
    expect(Number(claims.nbf)).toBeGreaterThan(now + 25)
    expect(
      decodeProtectedHeader(await auth0.emulator.mintUserToken({ typ: null }))
    ).not.toHaveProperty('typ')
  })

  it('mints machine tokens with the registered grant’s scopes and permissions', async () => {
    const { clientId } = auth0.emulator.registerClient({
      audience: auth0.audience,
      scopes: ['read:reports', 'write:reports'],
      permissions: ['read:reports'],
    })
    const claims = decodeJwt(await auth0.emulator.mintMachineToken({ clientId, orgId: 'org_1' }))
    expect(claims).toMatchObject({
      sub: `${clientId}@clients`,
      aud: auth0.audience,
      azp: clientId,
      gty: 'client-credentials',
      scope: 'read:reports write:reports',
      permissions: ['read:reports'],
      org_id: 'org_1',
    })
  })
})

describe('POST /oauth/token (client credentials)', () => {
  const acme = { id: 'org_9ybsU1dN2dKfDkBi', name: 'acme' }
  let client: { clientId: string; clientSecret: string }
  beforeAll(() => {
    client = auth0.emulator.registerClient({
      audience: auth0.audience,
      scopes: ['read:reports'],
      organizations: [acme],
    })
  })

  it('issues a token for form, JSON and Basic credentials', async () => {
    const form = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      audience: auth0.audience,
    })
    const json = await fetch(`${auth0.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        audience: auth0.audience,
      }),
    })
    const basic = await tokenRequest(
      { grant_type: 'client_credentials', audience: auth0.audience },
      {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`,
        },
      }
    )
    for (const response of [form, json, basic]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const body = (await response.json()) as { access_token: string }
      expect(body).toEqual({
        access_token: expect.any(String),
        scope: 'read:reports',
        expires_in: 86_400,
        token_type: 'Bearer',
      })
      expect(decodeJwt(body.access_token)).toMatchObject({
        iss: auth0.issuer,
        sub: `${client.clientId}@clients`,
        aud: auth0.audience,
        gty: 'client-credentials',
        azp: client.clientId,
      })
    }
  })

  it('adds org_id and org_name for an organization named by id or by name', async () => {
    for (const organization of [acme.id, acme.name]) {
      const response = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        audience: auth0.audience,
        organization,
      })
      const { access_token } = (await response.json()) as { access_token: string }
      expect(decodeJwt(access_token)).toMatchObject({ org_id: acme.id, org_name: acme.name })
    }
  })

  it('answers Auth0’s errors', async () => {
    const disabled = auth0.emulator.registerClient({
      audience: auth0.audience,
      scopes: [],
      grantTypes: ['authorization_code'],
    })
    const valid = {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      audience: auth0.audience,
    }
    const cases: Array<[Record<string, string>, number, string, RegExp]> = [
      [{ ...valid, grant_type: '' }, 400, 'invalid_request', /grant_type/],
      [{ ...valid, grant_type: 'password' }, 400, 'unsupported_grant_type', /password/],
      [{ ...valid, client_id: '' }, 400, 'invalid_request', /client_id/],
      [{ ...valid, client_secret: 'wrong' }, 401, 'access_denied', /^Unauthorized$/],
      [{ ...valid, client_id: 'unknown' }, 401, 'access_denied', /^Unauthorized$/],
      [
        { ...valid, client_id: disabled.clientId, client_secret: disabled.clientSecret },
        403,
        'unauthorized_client',
        /Grant type 'client_credentials' not allowed/,
      ],
      [{ ...valid, audience: '' }, 403, 'access_denied', /No audience parameter/],
      [
        { ...valid, audience: 'https://other.example.test' },
        403,
        'access_denied',
        /Client is not authorized to access "https:\/\/other.example.test"/,
      ],
      [{ ...valid, organization: 'org_other' }, 403, 'access_denied', /organization/],
    ]
    for (const [body, status, error, description] of cases) {
      const response = await tokenRequest(body)
      expect({ body, status: response.status }).toEqual({ body, status })
      const answer = (await response.json()) as { error: string; error_description: string }
      expect(answer.error).toBe(error)
      expect(answer.error_description).toMatch(description)
    }
  })
})

describe('GET /userinfo and POST /oauth/revoke', () => {
  it('answers the profile the scopes release, for a token with the userinfo audience', async () => {
    const profile = { name: 'Grace Hopper', nickname: 'grace', email: 'grace@example.test' }
    const token = await auth0.emulator.mintUserToken({ sub: 'auth0|grace', profile })
    const response = await fetch(`${auth0.url}/userinfo`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: 'auth0|grace', ...profile })
    const emailOnly = await auth0.emulator.mintUserToken({
      sub: 'auth0|grace',
      scope: 'openid email',
    })
    const narrow = await fetch(`${auth0.url}/userinfo`, {
      headers: { authorization: `Bearer ${emailOnly}` },
    })
    expect(await narrow.json()).toEqual({ sub: 'auth0|grace', email: 'grace@example.test' })
  })

  it('refuses tokens without openid, without the userinfo audience, expired or unsigned by it', async () => {
    const refused = [
      await auth0.emulator.mintUserToken({ scope: 'read:documents' }),
      await auth0.emulator.mintUserToken({ audience: auth0.audience }),
      await auth0.emulator.mintUserToken({ expiresIn: -60 }),
      await auth0.emulator.mintUserToken({ key: 'unpublished' }),
      'not-a-token',
    ]
    for (const token of refused) {
      const response = await fetch(`${auth0.url}/userinfo`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({
        error: 'invalid_token',
        error_description: 'The access token is invalid or has expired',
      })
    }
    expect((await fetch(`${auth0.url}/userinfo`)).status).toBe(401)
  })

  it('accepts refresh-token revocation from an authenticated client only', async () => {
    const client = auth0.emulator.registerClient({ audience: auth0.audience, scopes: [] })
    const revoke = (body: Record<string, string>) =>
      fetch(`${auth0.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams(body) })
    const credentials = { client_id: client.clientId, client_secret: client.clientSecret }
    expect((await revoke({ ...credentials, token: 'refresh' })).status).toBe(200)
    expect((await revoke({ ...credentials, client_secret: 'wrong', token: 'r' })).status).toBe(401)
    expect((await revoke(credentials)).status).toBe(400)
  })
})

describe('faults and counters', () => {
  it('counts requests per endpoint, faulted or not, and resets', async () => {
    auth0.emulator.resetCalls()
    auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks', times: 1 })
    expect((await fetch(auth0.jwksUrl)).status).toBe(500)
    expect((await fetch(auth0.jwksUrl)).status).toBe(200)
    await fetch(`${auth0.url}/.well-known/openid-configuration`)
    await fetch(`${auth0.url}/nowhere`)
    expect(auth0.emulator.calls).toEqual({
      discovery: 1,
      jwks: 2,
      token: 0,
      userinfo: 0,
      revoke: 0,
      total: 4,
    })
    auth0.emulator.resetCalls()
    expect(auth0.emulator.calls.total).toBe(0)
  })

  it('answers 500 from the JWKS until the fault is removed', async () => {
    const rule = auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(auth0.jwksUrl)
      expect(response.status).toBe(500)
      expect(await response.json()).toMatchObject({ error: 'server_error' })
    }
    expect((await fetch(`${auth0.url}/.well-known/openid-configuration`)).status).toBe(200)
    rule.remove()
    expect((await fetch(auth0.jwksUrl)).status).toBe(200)
  })

  it('answers 429 with Auth0’s rate-limit headers', async () => {
    auth0.emulator.injectFault({ kind: 'status', status: 429 }, { endpoint: 'token', times: 1 })
    const response = await tokenRequest({ grant_type: 'client_credentials' })
    expect(response.status).toBe(429)
    expect(await response.json()).toEqual({
      error: 'too_many_requests',
      error_description: 'Global limit has been reached',
    })
    expect(response.headers.get('x-ratelimit-limit')).toBe('100')
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
  })

  it('slows an endpoint down by the given time, and ends the wait when cleared', async () => {
    auth0.emulator.injectFault({ kind: 'latency', ms: 300 }, { endpoint: 'jwks', times: 1 })
    let started = performance.now()
    expect((await fetch(auth0.jwksUrl)).status).toBe(200)
    const slow = performance.now() - started
    expect(slow).toBeGreaterThanOrEqual(290)
    expect(slow).toBeLessThan(900)

    auth0.emulator.injectFault({ kind: 'latency', ms: 60_000 }, { endpoint: 'jwks', times: 1 })
    started = performance.now()
    const pending = fetch(auth0.jwksUrl)
    setTimeout(() => auth0.emulator.clearFaults(), 100)
    expect((await pending).status).toBe(200)
    expect(performance.now() - started).toBeLessThan(3_000)
  })
})
