/**
 * The JWT attack suite against Auth0 access tokens, at two levels: the verifier, and the library
 * as an app runs it (`auth0Auth()` configured by the environment, in front of a route). Every
 * forged or tampered token is invalid (a 401 through the middleware), and none costs a network
 * call beyond the tenant's JWKS. The attacker runs a server of their own that serves a key set
 * holding their key (so that a verifier following `jku`, `x5u` or the like would accept their
 * tokens); it must never be contacted. The verifier's own `fetch` records every URL it asks for,
 * the global `fetch` (which the middleware uses) is wrapped to record the same, and the emulator
 * counts what reaches it.
 */
import {
  base64url,
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth0Auth, closeAuth, type Auth0Env } from '../../src/index.ts'
import {
  auth0TokenVerifier,
  type Auth0TokenVerifier,
} from '../../src/auth0/auth0-token-verifier.ts'
import {
  startAuth0Emulator,
  type RunningAuth0Emulator,
} from '../../src/testing/auth0/start-auth0-emulator.ts'
import { recordingFetch, startAttackerServer, type AttackerServer } from './support.ts'

let auth0: RunningAuth0Emulator
let attacker: AttackerServer
let attackerKey: CryptoKeyPair
let attackerJwk: JWK
let verifier: Auth0TokenVerifier
let fetched: string[]
/** A genuine user token, and its claims, for attacks that keep or replay them. */
let genuine: string
let claims: JWTPayload
/** The tenant's signing key: for attacks where only the claims or the header are wrong. */
let tenantKey: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey }
/** When the key set was last fetched: an unknown kid may refetch it once per 5 s from then on. */
let warmedAt: number
/** An app behind `auth0Auth()`: the status it answers a bearer token with. */
let throughMiddleware: (token: string) => Promise<number>
/** Every URL the global `fetch` was asked for once warmed up (the middleware's key set uses it). */
const globallyFetched: string[] = []
const globalFetch = globalThis.fetch

beforeAll(async () => {
  auth0 = await startAuth0Emulator()
  attackerKey = await generateKeyPair('RS256', { extractable: true })
  attackerJwk = {
    ...(await exportJWK(attackerKey.publicKey)),
    kid: 'attacker',
    alg: 'RS256',
    use: 'sig',
  }
  attacker = await startAttackerServer({ keys: [attackerJwk] })
  const recording = recordingFetch()
  fetched = recording.urls
  verifier = auth0TokenVerifier({
    issuer: auth0.issuer,
    jwksUrl: auth0.jwksUrl,
    audience: auth0.audience,
    timeoutMs: 2000,
    fetch: recording.fetch,
  })
  genuine = await auth0.emulator.mintUserToken({ permissions: ['read:documents'] })
  claims = decodeJwt(genuine)
  tenantKey = await auth0.emulator.signingKey()
  // The attacker's key set does verify their tokens: a verifier following `jku` would accept them.
  const forged = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'attacker' })
    .sign(attackerKey.privateKey)
  await jwtVerify(forged, createRemoteJWKSet(new URL(`${attacker.url}/jwks.json`)))
  attacker.requests.length = 0
  const app = new Hono<Auth0Env>()
  app.use('*', auth0Auth({ prefix: 'attacks' }))
  app.get('/', (c) => c.json({ kind: c.var.auth.kind }))
  throughMiddleware = async (token) => {
    const response = await app.request(
      '/',
      { headers: { authorization: `Bearer ${token}` } },
      auth0.env()
    )
    await response.body?.cancel()
    return response.status
  }
  // The key sets are cached: an attack cannot hide behind a first fetch.
  expect((await verifier.verify(genuine)).status).toBe('valid')
  expect(await throughMiddleware(genuine)).toBe(200)
  auth0.emulator.resetCalls()
  fetched.length = 0
  globalThis.fetch = (input, init) => {
    globallyFetched.push(input instanceof Request ? input.url : String(input))
    return globalFetch(input, init)
  }
  warmedAt = performance.now()
})

afterAll(async () => {
  globalThis.fetch = globalFetch
  // No attack reached anything but the JWKS, and the attacker's server was never contacted.
  expect(attacker.requests).toEqual([])
  const fetchesAllowed = Math.ceil((performance.now() - warmedAt) / 5_000)
  expect(fetched.every((url) => url === auth0.jwksUrl)).toBe(true)
  expect(fetched.length).toBeLessThanOrEqual(fetchesAllowed)
  // The middleware's: only the JWKS too (the verifier's own fetch goes through the global one).
  expect(globallyFetched.every((url) => url === auth0.jwksUrl)).toBe(true)
  expect(globallyFetched.length - fetched.length).toBeLessThanOrEqual(fetchesAllowed)
  expect(auth0.emulator.calls.total).toBe(auth0.emulator.calls.jwks)
  await closeAuth()
  await attacker?.close()
  await auth0?.close()
})

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value))
}

/** Signs exactly these header and payload texts (whatever JSON they hold) with RS256 and `key`. */
async function signRaw(headerJson: string, payloadJson: string, key: CryptoKey): Promise<string> {
  const input = `${base64url.encode(headerJson)}.${base64url.encode(payloadJson)}`
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key,
    new TextEncoder().encode(input)
  )
  return `${input}.${base64url.encode(new Uint8Array(signature))}`
}

/**
 * Expects every token to be refused: invalid to the verifier (never unavailable, never valid), a
 * 401 through the middleware (never a 503, never a 200).
 */
async function expectAllInvalid(tokens: Record<string, string>): Promise<void> {
  for (const [name, token] of Object.entries(tokens)) {
    const outcome = await verifier.verify(token)
    const status = await throughMiddleware(token)
    expect({ name, verifier: outcome.status, middleware: status }).toEqual({
      name,
      verifier: 'invalid',
      middleware: 401,
    })
  }
}

describe('algorithm confusion', () => {
  it('refuses alg none, however it is spelt and whatever its signature', async () => {
    const tokens: Record<string, string> = {}
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = encodeJson({ alg, typ: 'JWT', kid: tenantKey.kid })
      tokens[`${alg}, empty signature`] = `${header}.${encodeJson(claims)}.`
      tokens[`${alg}, genuine signature`] =
        `${header}.${encodeJson(claims)}.${genuine.split('.')[2]}`
    }
    await expectAllInvalid(tokens)
  })

  it('refuses HS256/384/512 signed with the tenant’s public key, in every encoding', async () => {
    const secrets = {
      'SPKI PEM': new TextEncoder().encode(await exportSPKI(tenantKey.publicKey)),
      'JWK JSON': new TextEncoder().encode(JSON.stringify(await exportJWK(tenantKey.publicKey))),
      modulus: base64url.decode((await exportJWK(tenantKey.publicKey)).n!),
    }
    const tokens: Record<string, string> = {}
    for (const [encoding, secret] of Object.entries(secrets)) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        tokens[`${alg} with ${encoding}`] = await new SignJWT(claims)
          .setProtectedHeader({ alg, typ: 'JWT', kid: tenantKey.kid })
          .sign(secret)
      }
    }
    await expectAllInvalid(tokens)
  })
})

describe('key injection', () => {
  it('refuses kids that try path traversal, SQL or a URL, signed by the attacker or the tenant', async () => {
    const kids = [
      '../../../../../../etc/passwd',
      '../../../../dev/null',
      "' OR '1'='1",
      "x' UNION SELECT 'secret' --",
      `${attacker.url}/jwks.json`,
      'file:///etc/passwd',
      '',
      '\u0000',
      'k'.repeat(2000),
    ]
    const tokens: Record<string, string> = {}
    for (const kid of kids) {
      const header = { alg: 'RS256', typ: 'JWT', kid }
      tokens[`attacker-signed ${kid.slice(0, 40)}`] = await new SignJWT(claims)
        .setProtectedHeader(header)
        .sign(attackerKey.privateKey)
      tokens[`tenant-signed ${kid.slice(0, 40)}`] = await new SignJWT(claims)
        .setProtectedHeader(header)
        .sign(tenantKey.privateKey)
    }
    await expectAllInvalid(tokens)
  })

  it('never follows jku, x5u, an embedded jwk or x5c, whoever signed the token', async () => {
    const tokens: Record<string, string> = {}
    const headers = {
      jku: { jku: `${attacker.url}/jwks.json` },
      x5u: { x5u: `${attacker.url}/certificate.pem` },
      jwk: { jwk: attackerJwk },
      x5c: { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
    }
    for (const [name, extra] of Object.entries(headers)) {
      for (const kid of ['attacker', tenantKey.kid]) {
        tokens[`${name}, kid ${kid}, attacker-signed`] = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, ...extra })
          .sign(attackerKey.privateKey)
      }
      tokens[`${name}, no kid, attacker-signed`] = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...extra })
        .sign(attackerKey.privateKey)
      // Even the tenant's genuine signature does not make a token carrying one acceptable.
      tokens[`${name}, tenant-signed`] = await auth0.emulator.mintUserToken({ header: extra })
    }
    await expectAllInvalid(tokens)
  })
})

describe('malformed and stretched tokens', () => {
  it('refuses a typ other than JWT or at+jwt, even validly signed', async () => {
    const tokens: Record<string, string> = {}
    for (const typ of [
      'JWS',
      'JOSE',
      'dpop+jwt',
      'id_token',
      'logout+jwt',
      'secevent+jwt',
      'application/json',
      'JWT ',
      '',
    ]) {
      tokens[`typ ${JSON.stringify(typ)}`] = await auth0.emulator.mintUserToken({ typ })
    }
    tokens['numeric typ'] = await auth0.emulator.mintUserToken({ header: { typ: 1 } })
    await expectAllInvalid(tokens)
  })

  it('refuses a token over 4 KiB, even validly signed', async () => {
    const big = await auth0.emulator.mintUserToken({
      claims: { 'https://example.test/padding': 'x'.repeat(3_500) },
    })
    expect(big.length).toBeGreaterThan(4096)
    const justUnder = await auth0.emulator.mintUserToken({
      claims: { 'https://example.test/padding': 'x'.repeat(2_400) },
    })
    expect(justUnder.length).toBeLessThanOrEqual(4096)
    expect((await verifier.verify(justUnder)).status).toBe('valid')
    await expectAllInvalid({ oversize: big, 'oversize garbage': 'a.'.repeat(3000) + 'a' })
  })

  it('refuses duplicate members in the claims or the header, whichever copy is the right one', async () => {
    const header = JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: tenantKey.kid })
    const body = JSON.stringify(claims).slice(1, -1)
    const payloads = {
      'aud wrong then right': `{"aud":"https://other.example.test",${body}}`,
      'aud right then wrong': `{${body},"aud":"https://other.example.test"}`,
      'two subs': `{${body},"sub":"auth0|admin"}`,
      'two exps': `{${body},"exp":${Number(claims.exp) + 10_000_000}}`,
      'two permissions': `{${body},"permissions":["delete:everything"]}`,
      'escaped duplicate': `{${body},"\\u0073ub":"auth0|admin"}`,
    }
    const tokens: Record<string, string> = {}
    for (const [name, payload] of Object.entries(payloads)) {
      JSON.parse(payload)
      tokens[name] = await signRaw(header, payload, tenantKey.privateKey)
    }
    const twoKids = `{"alg":"RS256","kid":"attacker","typ":"JWT","kid":"${tenantKey.kid}"}`
    tokens['two kids in the header'] = await signRaw(
      twoKids,
      JSON.stringify(claims),
      tenantKey.privateKey
    )
    const twoAlgs = `{"alg":"none","kid":"${tenantKey.kid}","alg":"RS256"}`
    tokens['two algs in the header'] = await signRaw(
      twoAlgs,
      JSON.stringify(claims),
      tenantKey.privateKey
    )
    // The same bytes without the duplicate verify: the signing is sound, the duplicate is refused.
    expect(
      (await verifier.verify(await signRaw(header, JSON.stringify(claims), tenantKey.privateKey)))
        .status
    ).toBe('valid')
    await expectAllInvalid(tokens)
  })

  it('refuses tampered signatures and tampered claims', async () => {
    const [header, payload, signature] = genuine.split('.') as [string, string, string]
    const flipped =
      signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1)
    await expectAllInvalid({
      'flipped signature': `${header}.${payload}.${flipped}`,
      'truncated signature': `${header}.${payload}.${signature.slice(0, 100)}`,
      'no signature': `${header}.${payload}.`,
      'escalated permissions': `${header}.${encodeJson({ ...claims, permissions: ['delete:everything'] })}.${signature}`,
      'another user': `${header}.${encodeJson({ ...claims, sub: 'auth0|admin' })}.${signature}`,
      'extended expiry': `${header}.${encodeJson({ ...claims, exp: Number(claims.exp) + 86_400 })}.${signature}`,
      'signature of another token': `${header}.${payload}.${(await auth0.emulator.mintUserToken()).split('.')[2]}`,
      'two segments': `${header}.${payload}`,
      'four segments': `${genuine}.${signature}`,
      'not base64url': `${header}.${payload}!.${signature}`,
    })
  })
})
