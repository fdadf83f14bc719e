/**
 * The Auth0 access-token verifier against the emulator: configuration errors, the rules of DESIGN
 * (issuer, audience, times with 5 s of tolerance, `typ`) and the principals it builds. (What
 * their permissions grant: test/unit/token-grants.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Auth0Principal } from '../../src/auth0/auth0-principal.ts'
import {
  auth0TokenVerifier,
  type Auth0TokenVerifier,
  type Auth0VerificationOutcome,
} from '../../src/auth0/auth0-token-verifier.ts'
import { firstDuplicateMember } from '../../src/auth0/first-duplicate-member.ts'
import {
  startAuth0Emulator,
  type RunningAuth0Emulator,
} from '../../src/testing/auth0/start-auth0-emulator.ts'

let auth0: RunningAuth0Emulator
let verifier: Auth0TokenVerifier
beforeAll(async () => {
  auth0 = await startAuth0Emulator()
  verifier = auth0TokenVerifier({
    issuer: auth0.issuer,
    jwksUrl: auth0.jwksUrl,
    audience: auth0.audience,
    timeoutMs: 2000,
  })
})
afterAll(() => auth0.close())

const now = () => Math.floor(Date.now() / 1000)

async function principalOf(token: string): Promise<Auth0Principal> {
  const outcome = await verifier.verify(token)
  if (outcome.status !== 'valid')
    throw new Error(`Expected a valid token: ${JSON.stringify(outcome)}`)
  return outcome.principal
}

function statusOf(outcome: Auth0VerificationOutcome): string {
  return outcome.status
}

describe('configuration', () => {
  const base = {
    issuer: 'https://t.auth0.com/',
    jwksUrl: 'https://t.auth0.com/.well-known/jwks.json',
    audience: 'a',
    timeoutMs: 1000,
  }

  it('refuses symmetric algorithms, none and an empty list at construction', () => {
    for (const algorithms of [['HS256'], ['none'], ['RS256', 'HS512'], [], ['RS1']]) {
      expect(() => auth0TokenVerifier({ ...base, algorithms })).toThrow(TypeError)
    }
    expect(() =>
      auth0TokenVerifier({ ...base, algorithms: ['RS256', 'PS256', 'ES256'] })
    ).not.toThrow()
    expect(() => auth0TokenVerifier(base)).not.toThrow()
  })
})

describe('the checks of a token', () => {
  it('accepts a user token and builds its principal', async () => {
    const token = await auth0.emulator.mintUserToken({
      sub: 'auth0|65f0c1',
      scope: 'openid read:documents',
      permissions: ['read:documents', 'write:documents'],
      orgId: 'org_abc',
      orgName: 'acme',
    })
    const before = Date.now()
    const outcome = await verifier.verify(token)
    expect(outcome).toEqual({
      status: 'valid',
      validUntil: expect.any(Number),
      principal: {
        kind: 'user',
        userId: 'auth0|65f0c1',
        organizationId: 'org_abc',
        organizationName: 'acme',
        permissions: ['read:documents', 'write:documents'],
        hasPermissionsClaim: true,
        scopes: ['openid', 'read:documents'],
        clientId: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
        expiresAt: expect.any(Date),
        authenticatedAt: expect.any(Date),
      },
    })
    if (outcome.status !== 'valid') return
    expect(outcome.validUntil).toBe(outcome.principal.expiresAt.getTime())
    expect(outcome.validUntil).toBeGreaterThan(before + 86_300_000)
    expect(outcome.principal.authenticatedAt.getTime()).toBeGreaterThanOrEqual(before)
  })

  it('reads organization and client as null when absent, and client_id in the RFC 9068 profile', async () => {
    const plain = await principalOf(await auth0.emulator.mintUserToken({ scope: 'read:documents' }))
    expect(plain).toMatchObject({
      kind: 'user',
      organizationId: null,
      organizationName: null,
      permissions: [],
      hasPermissionsClaim: false,
      scopes: ['read:documents'],
    })
    const noClient = await principalOf(
      await auth0.emulator.mintUserToken({ claims: { azp: undefined } })
    )
    expect(noClient).toMatchObject({ kind: 'user', clientId: null })
    const rfc9068 = await principalOf(
      await auth0.emulator.mintUserToken({ typ: 'at+jwt', clientId: 'spa-client' })
    )
    expect(rfc9068).toMatchObject({ kind: 'user', clientId: 'spa-client' })
  })

  it('makes a machine of gty client-credentials or a sub ending in @clients', async () => {
    const registered = auth0.emulator.registerClient({
      audience: auth0.audience,
      scopes: ['read:reports'],
      permissions: [],
    })
    expect(
      await principalOf(
        await auth0.emulator.mintMachineToken({ clientId: registered.clientId, orgId: 'org_1' })
      )
    ).toEqual({
      kind: 'machine',
      clientId: registered.clientId,
      organizationId: 'org_1',
      organizationName: null,
      permissions: [],
      scopes: ['read:reports'],
      expiresAt: expect.any(Date),
      authenticatedAt: expect.any(Date),
    })
    // RFC 9068 profile: no gty, no azp: the client is the sub without @clients.
    const profile9068 = await auth0.emulator.mintMachineToken({ clientId: 'm2m-a', typ: 'at+jwt' })
    expect(await principalOf(profile9068)).toMatchObject({ kind: 'machine', clientId: 'm2m-a' })
    // gty alone (an agent's token whose sub is the bare client id): azp names the client.
    const agent = await auth0.emulator.mintUserToken({
      sub: 'agt_1',
      clientId: 'agent-app',
      claims: { gty: 'client-credentials' },
    })
    expect(await principalOf(agent)).toMatchObject({ kind: 'machine', clientId: 'agent-app' })
  })

  it('checks iss exactly, trailing slash included', async () => {
    for (const iss of [
      auth0.url,
      `${auth0.url}//`,
      'https://tenant.auth0.com/',
      auth0.issuer.toUpperCase(),
    ]) {
      const outcome = await verifier.verify(await auth0.emulator.mintUserToken({ claims: { iss } }))
      expect(outcome).toMatchObject({ status: 'invalid', reason: expect.stringContaining('iss') })
    }
  })

  it('accepts aud equal to the audience or an array containing it, and nothing else', async () => {
    const accepted = [auth0.audience, [auth0.audience], ['https://x.example', auth0.audience]]
    const refused = ['https://x.example', ['https://x.example'], [], `${auth0.audience}/`]
    for (const audience of accepted) {
      expect(
        statusOf(await verifier.verify(await auth0.emulator.mintUserToken({ audience })))
      ).toBe('valid')
    }
    for (const audience of refused) {
      expect(
        statusOf(await verifier.verify(await auth0.emulator.mintUserToken({ audience })))
      ).toBe('invalid')
    }
    const missing = await auth0.emulator.mintUserToken({ claims: { aud: undefined } })
    expect(statusOf(await verifier.verify(missing))).toBe('invalid')
    const several = auth0TokenVerifier({
      issuer: auth0.issuer,
      jwksUrl: auth0.jwksUrl,
      audience: ['https://x.example', auth0.audience],
      timeoutMs: 2000,
    })
    expect(
      statusOf(
        await several.verify(await auth0.emulator.mintUserToken({ audience: auth0.audience }))
      )
    ).toBe('valid')
  })

  it('allows 5 s of clock skew on exp, nbf and iat, and no more', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: now() - 2 }, 'valid'],
      [{ exp: now() - 15 }, 'invalid'],
      [{ exp: undefined }, 'invalid'],
      [{ exp: String(now() + 60) }, 'invalid'],
      [{ nbf: now() + 2 }, 'valid'],
      [{ nbf: now() + 15 }, 'invalid'],
      [{ iat: now() + 2 }, 'valid'],
      [{ iat: now() + 15 }, 'invalid'],
      [{ iat: undefined }, 'valid'],
      [{ iat: 'yesterday' }, 'invalid'],
    ]
    for (const [claims, status] of cases) {
      const outcome = await verifier.verify(await auth0.emulator.mintUserToken({ claims }))
      expect({ claims, status: outcome.status }).toEqual({ claims, status })
    }
  })

  it('accepts typ JWT or at+jwt in any case, with or without application/, or none; refuses others', async () => {
    for (const typ of [
      'JWT',
      'jwt',
      'at+jwt',
      'AT+JWT',
      'application/at+jwt',
      'application/jwt',
      null,
    ]) {
      expect({
        typ,
        status: (await verifier.verify(await auth0.emulator.mintUserToken({ typ }))).status,
      }).toEqual({ typ, status: 'valid' })
    }
    for (const typ of ['JWS', 'dpop+jwt', 'id_token+jwt', 'application/json', '']) {
      const outcome = await verifier.verify(await auth0.emulator.mintUserToken({ typ }))
      expect(outcome).toMatchObject({ status: 'invalid', reason: expect.stringContaining('typ') })
    }
    const numeric = await auth0.emulator.mintUserToken({ header: { typ: 1 } })
    expect(statusOf(await verifier.verify(numeric))).toBe('invalid')
  })

  it('refuses claims without Auth0’s shape', async () => {
    for (const claims of [
      { sub: undefined },
      { sub: '' },
      { scope: ['read:a'] },
      { permissions: 'read:a' },
      { permissions: [1] },
      { org_id: 7 },
    ]) {
      const outcome = await verifier.verify(await auth0.emulator.mintUserToken({ claims }))
      expect({ claims, status: outcome.status }).toEqual({ claims, status: 'invalid' })
    }
  })
})

describe('firstDuplicateMember', () => {
  it('finds a name given twice in one object, escaped or not, at any depth', () => {
    expect(firstDuplicateMember('{"sub":"a","aud":"x","aud":"y"}')).toBe('aud')
    expect(firstDuplicateMember('{"aud":"x","\\u0061ud":"y"}')).toBe('aud')
    expect(firstDuplicateMember('{"a":{"b":1,"b":2}}')).toBe('b')
    expect(firstDuplicateMember('{"a":[{"b":1},{"b":2}],"c":"\\"b\\":"}')).toBeUndefined()
    expect(firstDuplicateMember('{"a":{"b":1},"b":2,"s":"{\\"a\\":1}"}')).toBeUndefined()
    expect(firstDuplicateMember(' { "a" : 1 , "a" : 2 } ')).toBe('a')
    expect(firstDuplicateMember('[1,"a","a"]')).toBeUndefined()
  })
})
