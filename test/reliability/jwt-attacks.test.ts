/**
 * Forged and tampered session JWTs, sent as a bearer token and as the `stytch_session_jwt` cookie:
 * every one is a 401, no handler sees it, and none costs a call to Stytch's `/sessions/authenticate`
 * (only a validly signed JWT past its 5-minute `exp` is ever sent there). Then the same attacks
 * against Stytch M2M and Connected Apps (OAuth) access tokens on routes that accept them
 * (`acceptTokens`), each kind on routes that do not, and the valid tokens that must pass.
 */
import fc from 'fast-check'
import type { Hono } from 'hono'
import { base64url, exportJWK, exportSPKI, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  stytchEmulator,
  type EmulatedSession,
  type MintTokenOptions,
} from '../../src/testing/index.ts'
import {
  assembleJwt,
  attackerKey,
  claimsOf,
  encodeJson,
  nowSeconds,
  sameBytes,
  signJwt,
  tampered,
  type AttackerKey,
} from './forge.ts'
import { HandlerLedger } from './ledger.ts'
import { PrincipalLedger, type TokenIdentity } from './principal-ledger.ts'
import { captureLogger, recordingApp, uniquePrefix } from './recording-app.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { HELD_SCOPE, MISSING_SCOPE, tokenApp, type Group } from './token-app.ts'
import { startWorld, type World } from './world.ts'

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World
let kit: Kit
beforeAll(async () => {
  world = await startWorld()
  kit = await forgeryKit(world)
})
afterAll(async () => {
  expect(ledger.violations()).toEqual([])
  await world?.close()
})

/** What a forger has: a victim's real JWT, Stytch's key (to sign what Stytch never would), keys of their own. */
interface Kit {
  readonly app: ReturnType<typeof recordingApp>
  readonly victim: EmulatedSession
  readonly claims: JWTPayload
  readonly kid: string
  /** Stytch's signing key: for claims-level attacks, where only the claims are wrong. */
  readonly stytchKey: CryptoKey
  readonly publicPem: string
  readonly publicJwk: string
  readonly attacker: AttackerKey
  /** A real, validly signed session JWT of another Stytch project. */
  readonly otherProjectJwt: string
}

async function forgeryKit(world: World): Promise<Kit> {
  const app = recordingApp(
    { ...world.stytchOptions(), logger: captureLogger(), prefix: uniquePrefix('jwt-attacks') },
    ledger
  )
  const victim = await world.session(ledger)
  // The app has fetched the key set: an attack cannot hide behind a first fetch.
  expect((await app.request('/api/me', bearer(victim.sessionJwt))).status).toBe(200)
  const key = await world.stytch.emulator.signingKeys()
  const other = stytchEmulator({ projectId: 'project-test-11111111-1111-4111-8111-111111111111' })
  return {
    app,
    victim,
    claims: claimsOf(victim.sessionJwt),
    kid: key.kid,
    stytchKey: key.privateKey,
    publicPem: await exportSPKI(key.publicKey),
    publicJwk: JSON.stringify(await exportJWK(key.publicKey)),
    attacker: await attackerKey(),
    otherProjectJwt: (await other.seed()).sessionJwt,
  }
}

function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } }
}

const HOUR = 3600
const SESSION_CLAIM = 'https://stytch.com/session'
const ORGANIZATION_CLAIM = 'https://stytch.com/organization'

/** Claims of the victim's session with `changes` (a `null` removes the claim). */
function claimsWith(changes: Record<string, unknown>): JWTPayload {
  const claims: Record<string, unknown> = { ...kit.claims }
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete claims[name]
    else claims[name] = value
  }
  return claims
}

/** Signed with Stytch's own key under its real `kid`: only the claims or header are wrong. */
function stytchSigned(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return signJwt(claims, { alg: 'RS256', typ: 'JWT', kid: kit.kid, ...header }, kit.stytchKey)
}

/** Signed with the attacker's key, under any header. */
function attackerSigned(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return signJwt(
    claims,
    { alg: 'RS256', typ: 'JWT', kid: kit.kid, ...header },
    kit.attacker.privateKey
  )
}

/** Header and claims as given (no library checks them), signed RS256 by the attacker. */
async function rawSigned(header: unknown, claims: unknown): Promise<string> {
  const unsigned = `${encodeJson(header)}.${encodeJson(claims)}`
  const bytes = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    kit.attacker.privateKey,
    new TextEncoder().encode(unsigned)
  )
  return `${unsigned}.${base64url.encode(new Uint8Array(bytes))}`
}

/** The victim's header and signature around another payload. */
function withPayload(claims: JWTPayload): string {
  return tampered(kit.victim.sessionJwt, claims)
}

/** An attacker-signed JWT with a padding claim, sized so that `Bearer <jwt>` is as close to `bytes` as possible without exceeding it. */
async function paddedTo(bytes: number): Promise<string> {
  let padding = bytes
  for (;;) {
    const jwt = await attackerSigned({ ...kit.claims, padding: 'x'.repeat(padding) })
    const size = `Bearer ${jwt}`.length
    if (size <= bytes) return jwt
    padding -= Math.max(1, Math.floor(((size - bytes) * 3) / 4))
  }
}

interface Attack {
  readonly name: string
  readonly forge: () => Promise<string> | string
  /** The error type of the 401 (default `token_verification`). */
  readonly type?: 'token_verification' | 'token_extraction'
}

const ATTACKS: readonly Attack[] = [
  {
    name: 'alg none, empty signature',
    forge: () => assembleJwt({ alg: 'none', typ: 'JWT', kid: kit.kid }, kit.claims),
  },
  {
    name: 'alg none, with the real signature kept',
    forge: () =>
      assembleJwt(
        { alg: 'none', typ: 'JWT', kid: kit.kid },
        kit.claims,
        kit.victim.sessionJwt.split('.')[2]
      ),
  },
  {
    name: 'alg "None" (case variant)',
    forge: () => assembleJwt({ alg: 'None', typ: 'JWT' }, kit.claims, 'AAAA'),
  },
  {
    name: 'alg duplicated in the header ("RS256" then "none")',
    forge: () =>
      `${base64url.encode(`{"alg":"RS256","typ":"JWT","kid":"${kit.kid}","alg":"none"}`)}.${encodeJson(kit.claims)}.` +
      'AAAA',
  },
  {
    name: 'HS256 keyed with the public key (PEM)',
    forge: () =>
      signJwt(
        kit.claims,
        { alg: 'HS256', typ: 'JWT', kid: kit.kid },
        new TextEncoder().encode(kit.publicPem)
      ),
  },
  {
    name: 'HS256 keyed with the public key (JWK JSON)',
    forge: () =>
      signJwt(
        kit.claims,
        { alg: 'HS256', typ: 'JWT', kid: kit.kid },
        new TextEncoder().encode(kit.publicJwk)
      ),
  },
  {
    name: 'PS256 (another RSA algorithm) under the real kid',
    forge: () =>
      assembleJwt(
        { alg: 'PS256', typ: 'JWT', kid: kit.kid },
        kit.claims,
        kit.victim.sessionJwt.split('.')[2]
      ),
  },
  { name: 'the real kid, signed by the attacker', forge: () => attackerSigned(kit.claims) },
  {
    name: 'no kid, signed by the attacker',
    forge: () => signJwt(kit.claims, { alg: 'RS256', typ: 'JWT' }, kit.attacker.privateKey),
  },
  {
    name: 'kid injection: path traversal',
    forge: () => attackerSigned(kit.claims, { kid: '../../../../../../etc/passwd' }),
  },
  {
    name: 'kid injection: SQL',
    forge: () => attackerSigned(kit.claims, { kid: "' OR '1'='1' --" }),
  },
  {
    name: 'kid injection: a URL',
    forge: () => attackerSigned(kit.claims, { kid: 'https://attacker.example/jwks.json' }),
  },
  {
    name: 'kid injection: an object',
    forge: () => attackerSigned(kit.claims, { kid: { $ne: null } }),
  },
  {
    name: 'unknown kid',
    forge: () =>
      attackerSigned(kit.claims, { kid: 'jwk-test-00000000-0000-4000-8000-000000000000' }),
  },
  {
    name: 'embedded jwk header carrying the attacker key',
    forge: async () => attackerSigned(kit.claims, { jwk: await exportJWK(kit.attacker.publicKey) }),
  },
  {
    name: 'jku header pointing at an attacker key set',
    forge: () => attackerSigned(kit.claims, { jku: 'https://attacker.example/jwks.json' }),
  },
  {
    name: 'unknown critical header',
    forge: () =>
      rawSigned(
        { alg: 'RS256', typ: 'JWT', kid: kit.kid, crit: ['x-attack'], 'x-attack': true },
        kit.claims
      ),
  },
  {
    name: 'unencoded payload (b64: false)',
    forge: () =>
      assembleJwt(
        { alg: 'RS256', typ: 'JWT', kid: kit.kid, b64: false, crit: ['b64'] },
        kit.claims,
        'AAAA'
      ),
  },
  {
    name: 'header that is not JSON',
    forge: () => `${base64url.encode('{"alg":')}.${encodeJson(kit.claims)}.AAAA`,
  },
  { name: 'header that is an array', forge: () => assembleJwt(['RS256'], kit.claims, 'AAAA') },
  {
    name: 'signature stripped',
    forge: () => kit.victim.sessionJwt.split('.').slice(0, 2).join('.') + '.',
  },
  {
    name: 'payload tampered: another member (sub)',
    forge: () =>
      withPayload(claimsWith({ sub: 'member-test-00000000-0000-4000-8000-000000000000' })),
  },
  {
    name: 'payload tampered: another organization',
    forge: () =>
      withPayload(
        claimsWith({
          [ORGANIZATION_CLAIM]: {
            organization_id: 'organization-test-00000000-0000-4000-8000-000000000000',
            slug: 'victim',
          },
        })
      ),
  },
  {
    name: 'payload tampered: exp extended by a day',
    forge: () => withPayload(claimsWith({ exp: nowSeconds() + 24 * HOUR })),
  },
  {
    name: 'expired and badly signed',
    forge: () =>
      attackerSigned(
        claimsWith({
          iat: nowSeconds() - 2 * HOUR,
          nbf: nowSeconds() - 2 * HOUR,
          exp: nowSeconds() - HOUR,
        })
      ),
  },
  {
    name: 'expired and unsigned (alg none)',
    forge: () =>
      assembleJwt({ alg: 'none', typ: 'JWT' }, claimsWith({ exp: nowSeconds() - HOUR }), 'AAAA'),
  },
  {
    name: 'not yet valid (nbf in a minute), validly signed',
    forge: () => stytchSigned(claimsWith({ nbf: nowSeconds() + 60 })),
  },
  {
    name: 'wrong aud (another project), validly signed',
    forge: () =>
      stytchSigned(claimsWith({ aud: ['project-test-11111111-1111-4111-8111-111111111111'] })),
  },
  { name: 'no aud, validly signed', forge: () => stytchSigned(claimsWith({ aud: null })) },
  {
    name: 'wrong iss, validly signed',
    forge: () =>
      stytchSigned(
        claimsWith({ iss: 'stytch.com/project-test-11111111-1111-4111-8111-111111111111' })
      ),
  },
  {
    name: 'iss with a trailing slash, validly signed',
    forge: () => stytchSigned(claimsWith({ iss: `${world.stytch.url}/` })),
  },
  { name: 'no exp, validly signed', forge: () => stytchSigned(claimsWith({ exp: null })) },
  {
    name: `missing ${SESSION_CLAIM} claim, validly signed`,
    forge: () => stytchSigned(claimsWith({ [SESSION_CLAIM]: null })),
  },
  {
    name: `missing ${ORGANIZATION_CLAIM} claim, validly signed`,
    forge: () => stytchSigned(claimsWith({ [ORGANIZATION_CLAIM]: null })),
  },
  {
    name: 'session claim of the wrong shape, validly signed',
    forge: () => stytchSigned(claimsWith({ [SESSION_CLAIM]: 'admin' })),
  },
  {
    name: 'session already expired (expires_at in the past), validly signed',
    forge: () =>
      stytchSigned(
        claimsWith({
          [SESSION_CLAIM]: {
            ...(kit.claims[SESSION_CLAIM] as object),
            expires_at: new Date(Date.now() - 60_000).toISOString(),
          },
        })
      ),
  },
  {
    name: 'typ missing, validly signed',
    forge: () => signJwt(kit.claims, { alg: 'RS256', kid: kit.kid }, kit.stytchKey),
  },
  {
    name: 'typ "at+jwt", validly signed',
    forge: () => stytchSigned(kit.claims, { typ: 'at+jwt' }),
  },
  { name: 'a validly signed JWT of another Stytch project', forge: () => kit.otherProjectJwt },
  {
    name: 'a payload near 4 KiB (the header just within the limit), badly signed',
    forge: () => paddedTo(4096),
  },
  {
    name: 'a payload over 4 KiB',
    forge: () => attackerSigned({ ...kit.claims, padding: 'x'.repeat(4096) }),
    type: 'token_extraction',
  },
  {
    name: 'a payload of 1 MiB',
    forge: () => attackerSigned({ ...kit.claims, padding: 'x'.repeat(1 << 20) }),
    type: 'token_extraction',
  },
]

describe('JWT attacks: 401, no handler, no call to /sessions/authenticate', () => {
  it.each(ATTACKS.map((attack) => [attack.name, attack] as const))('%s', async (_name, attack) => {
    const jwt = await attack.forge()
    const type = attack.type ?? 'token_verification'
    const before = world.stytch.emulator.calls.authenticate
    const asHeader = await kit.app.request('/api/me', bearer(jwt))
    expect({ status: asHeader.status, body: await asHeader.json() }).toMatchObject({
      status: 401,
      body: { type },
    })
    expect(asHeader.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const asCookie = await kit.app.request('/api/me', {
      headers: { cookie: `stytch_session_jwt=${jwt}` },
    })
    expect({ status: asCookie.status, body: await asCookie.json() }).toMatchObject({
      status: 401,
      body: { type },
    })
    const optional = await kit.app.request('/optional/me', bearer(jwt))
    expect({ status: optional.status, body: await optional.json() }).toEqual({
      status: 200,
      body: { auth: null },
    })
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })

  it('the near-4-KiB attack really is at the limit, and the same size is accepted when Stytch signed it', async () => {
    const forged = await paddedTo(4096)
    expect(`Bearer ${forged}`.length).toBeGreaterThan(4096 - 8)
    const [, payload] = forged.split('.')
    const genuine = await stytchSigned(
      JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as JWTPayload
    )
    ledger.alias(genuine, kit.victim)
    expect(`Bearer ${genuine}`.length).toBeLessThanOrEqual(4096)
    expect((await kit.app.request('/api/me', bearer(genuine))).status).toBe(200)
  })
})

describe('property: random headers and payloads, signed by the attacker or not at all', () => {
  const header = fc.record(
    {
      alg: fc.oneof(
        fc.constantFrom('RS256', 'none', 'None', 'HS256', 'RS512', 'PS256', 'ES256', 'EdDSA', ''),
        fc.string(),
        fc.integer()
      ),
      typ: fc.oneof(fc.constant('JWT'), fc.string(), fc.constant(null)),
      kid: fc.oneof(
        fc.constant('real'),
        fc.string(),
        fc.integer(),
        fc.constant(null),
        fc.jsonValue()
      ),
      crit: fc.array(fc.string(), { maxLength: 2 }),
      b64: fc.boolean(),
    },
    { requiredKeys: ['alg'] }
  )
  const payload = fc.record(
    {
      sub: fc.oneof(fc.constant('victim'), fc.string(), fc.jsonValue()),
      aud: fc.oneof(fc.constant('project'), fc.string(), fc.jsonValue()),
      iss: fc.oneof(fc.constant('stytch'), fc.string()),
      exp: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant('future')),
      nbf: fc.oneof(fc.integer(), fc.constant('past')),
      session: fc.oneof(fc.constant('victim'), fc.jsonValue()),
      organization: fc.oneof(fc.constant('victim'), fc.jsonValue()),
    },
    { requiredKeys: [] }
  )
  const signature = fc.oneof(
    fc.constant('attacker' as const),
    fc.constant('' as const),
    fc
      .base64String({ minLength: 4, maxLength: 400 })
      .map((text) => text.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', ''))
  )

  it('never authenticates, never asks Stytch, never answers 5xx', async () => {
    const before = world.stytch.emulator.calls.authenticate
    await fc.assert(
      fc.asyncProperty(header, payload, signature, async (h, p, s) => {
        const jwt = await forgedFrom(h, p, s)
        const res = await kit.app.request('/api/me', bearer(jwt))
        expect(res.status).toBe(401)
      }),
      { numRuns: 400 }
    )
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })

  it('a real JWT with one character changed is a 401, or (base64url slack in the last character) the very same session', async () => {
    const jwt = kit.victim.sessionJwt
    const before = world.stytch.emulator.calls.authenticate
    await everyOneCharacterChange(
      jwt,
      (mutated) => kit.app.request('/api/me', bearer(mutated)),
      (mutated) => ledger.alias(mutated, kit.victim),
      400
    )
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })
})

describe('the one JWT that reaches Stytch: validly signed, past its exp', () => {
  it('is refreshed with Stytch while the session lives, and a 401 once it is revoked', async () => {
    const session = await world.session(ledger)
    const mint = (ageMs: number) =>
      world.stytch.emulator.mintSessionJwt(session.session.member_session_id, {
        issuedAt: new Date(Date.now() - ageMs),
      })
    const stale = ledger.alias(await mint(600_000), session)
    const staleToo = await mint(599_000)
    const before = world.stytch.emulator.calls.authenticate
    expect((await kit.app.request('/api/me', bearer(stale))).status).toBe(200)
    expect(world.stytch.emulator.calls.authenticate).toBe(before + 1)
    world.stytch.emulator.revokeSession(session.session.member_session_id)
    expect((await kit.app.request('/api/me', bearer(staleToo))).status).toBe(401)
    expect(world.stytch.emulator.calls.authenticate).toBe(before + 2)
  })
})

/** Fuzzed claims that stand for the victim's real value when they hold this symbol. */
const SYMBOLIC_CLAIMS: Readonly<
  Record<string, { readonly claim: string; readonly symbol: string; readonly real: () => unknown }>
> = {
  sub: { claim: 'sub', symbol: 'victim', real: () => kit.claims.sub },
  aud: { claim: 'aud', symbol: 'project', real: () => kit.claims.aud },
  iss: { claim: 'iss', symbol: 'stytch', real: () => kit.claims.iss },
  exp: { claim: 'exp', symbol: 'future', real: () => nowSeconds() + 300 },
  nbf: { claim: 'nbf', symbol: 'past', real: () => nowSeconds() - 10 },
  session: { claim: SESSION_CLAIM, symbol: 'victim', real: () => kit.claims[SESSION_CLAIM] },
  organization: {
    claim: ORGANIZATION_CLAIM,
    symbol: 'victim',
    real: () => kit.claims[ORGANIZATION_CLAIM],
  },
}

/** A JWT from fuzzed parts: the victim's claims with the fuzzed ones replacing theirs. */
async function forgedFrom(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature: string
): Promise<string> {
  const claims: Record<string, unknown> = { ...kit.claims }
  for (const [field, value] of Object.entries(payload)) {
    const symbolic = SYMBOLIC_CLAIMS[field]
    if (symbolic) claims[symbolic.claim] = value === symbolic.symbol ? symbolic.real() : value
  }
  const fullHeader = { ...header, ...(header['kid'] === 'real' ? { kid: kit.kid } : {}) }
  return signature === 'attacker'
    ? rawSigned(fullHeader, claims)
    : assembleJwt(fullHeader, claims, signature)
}

/*
 * The same attacks against the access tokens a route may accept besides sessions (`acceptTokens`):
 * Stytch M2M tokens and Connected Apps (OAuth) tokens, on a route accepting only their kind, on a
 * route accepting all three kinds, behind `requireScopes`, as a header and as a cookie.
 */

const tokenLedger = new PrincipalLedger(ledger)
let tokens: TokenKit

/** Scopes of the suite's M2M client. */
const M2M_SCOPES = [HELD_SCOPE, 'write:reports']
/** Scopes the member granted the suite's Connected App. */
const OAUTH_SCOPES = ['openid', HELD_SCOPE]
const OTHER_PROJECT = 'project-test-22222222-2222-4222-8222-222222222222'

/** A real access token of one kind, and the route group that accepts only that kind. */
interface RealToken {
  readonly kind: 'm2m' | 'oauth'
  readonly group: 'm2m' | 'oauth'
  readonly token: string
  readonly claims: JWTPayload
  /** The same token, as the emulator of another Stytch project would sign it for its own project. */
  readonly otherProjectToken: string
  /** Mints another token of this kind for the same client (and member), with `options` (not issued in the ledger). */
  readonly mint: (options?: MintTokenOptions & { scopes?: string[] }) => Promise<string>
  readonly identity: TokenIdentity
}

interface TokenKit {
  readonly app: Hono
  /** The member the OAuth token acts for, with a session of their own. */
  readonly member: EmulatedSession
  /** An organization the OAuth token's member does not belong to. */
  readonly otherOrganizationId: string
  /** The signing key of another Stytch project. */
  readonly otherProjectKey: CryptoKey
  readonly m2m: RealToken
  readonly oauth: RealToken
}

async function tokenKit(): Promise<TokenKit> {
  const emulator = world.stytch.emulator
  const app = tokenApp(
    { ...world.stytchOptions(), logger: captureLogger(), prefix: uniquePrefix('token-attacks') },
    tokenLedger
  )
  const member = await world.session(ledger)
  const stranger = await world.session(ledger)
  const { clientId } = emulator.createM2MClient({ scopes: M2M_SCOPES })
  const other = stytchEmulator({ projectId: OTHER_PROJECT })
  const otherMember = (await other.seed()).member.member_id
  const machine: TokenIdentity = { kind: 'machine', clientId }
  const mintM2M = (options: MintTokenOptions & { scopes?: string[] } = {}) =>
    emulator.mintM2MToken({ clientId, scopes: M2M_SCOPES, ...options })
  const m2mToken = tokenLedger.issue(await mintM2M(), machine)
  const oauthToken = await emulator.mintAccessToken({
    memberId: member.member.member_id,
    scopes: OAUTH_SCOPES,
  })
  const oauthClaims = claimsOf(oauthToken)
  const appId = String(oauthClaims['client_id'])
  const agent: TokenIdentity = {
    kind: 'oauth',
    memberId: member.member.member_id,
    organizationId: member.organization.organization_id,
    clientId: appId,
  }
  const mintOAuth = (options: MintTokenOptions & { scopes?: string[] } = {}) =>
    emulator.mintAccessToken({
      memberId: member.member.member_id,
      scopes: OAUTH_SCOPES,
      clientId: appId,
      ...options,
    })
  // The app has fetched the key set: an attack cannot hide behind a first fetch.
  expect((await app.request('/any/me', bearer(m2mToken))).status).toBe(200)
  return {
    app,
    member,
    otherOrganizationId: stranger.organization.organization_id,
    otherProjectKey: (await other.signingKeys()).privateKey,
    m2m: {
      kind: 'm2m',
      group: 'm2m',
      token: m2mToken,
      claims: claimsOf(m2mToken),
      otherProjectToken: await other.mintM2MToken({ clientId, scopes: M2M_SCOPES }),
      mint: mintM2M,
      identity: machine,
    },
    oauth: {
      kind: 'oauth',
      group: 'oauth',
      token: tokenLedger.issue(oauthToken, agent),
      claims: oauthClaims,
      otherProjectToken: await other.mintAccessToken({
        memberId: otherMember,
        scopes: OAUTH_SCOPES,
      }),
      mint: mintOAuth,
      identity: agent,
    },
  }
}

/** The claims of `real` with `changes` (a `null` removes the claim). */
function tokenClaimsWith(real: RealToken, changes: Record<string, unknown>): JWTPayload {
  const claims: Record<string, unknown> = { ...real.claims }
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete claims[name]
    else claims[name] = value
  }
  return claims
}

/** `real`'s scopes with `from` replaced by `to`. */
function scopeWith(real: RealToken, from: string, to: string): string {
  return String(real.claims['scope'])
    .split(' ')
    .map((scope) => (scope === from ? to : scope))
    .join(' ')
}

interface TokenAttack {
  readonly name: string
  readonly forge: (real: RealToken) => Promise<string> | string
  /** Only against this kind of token (default: both). */
  readonly only?: RealToken['kind']
  /** The error type of the 401 (default `token_verification`). */
  readonly type?: 'token_verification' | 'token_extraction'
}

const HS256_PEM = (real: RealToken) =>
  signJwt(
    real.claims,
    { alg: 'HS256', typ: 'JWT', kid: kit.kid },
    new TextEncoder().encode(kit.publicPem)
  )

const TOKEN_ATTACKS: readonly TokenAttack[] = [
  {
    name: 'alg none, empty signature',
    forge: (real) => assembleJwt({ alg: 'none', typ: 'JWT', kid: kit.kid }, real.claims),
  },
  {
    name: 'alg none, with the real signature kept',
    forge: (real) =>
      assembleJwt({ alg: 'none', typ: 'JWT', kid: kit.kid }, real.claims, real.token.split('.')[2]),
  },
  { name: 'HS256 keyed with the public key (PEM)', forge: HS256_PEM },
  {
    name: 'HS256 keyed with the public key (JWK JSON)',
    forge: (real) =>
      signJwt(
        real.claims,
        { alg: 'HS256', typ: 'JWT', kid: kit.kid },
        new TextEncoder().encode(kit.publicJwk)
      ),
  },
  {
    name: 'HS256 keyed with the public key (PEM), scope widened to read:*',
    forge: (real) =>
      HS256_PEM({ ...real, claims: tokenClaimsWith(real, { scope: 'read:* write:*' }) }),
  },
  {
    name: 'PS256 under the real kid, the real signature kept',
    forge: (real) =>
      assembleJwt(
        { alg: 'PS256', typ: 'JWT', kid: kit.kid },
        real.claims,
        real.token.split('.')[2]
      ),
  },
  { name: 'the real kid, signed by the attacker', forge: (real) => attackerSigned(real.claims) },
  {
    name: 'kid injection: path traversal',
    forge: (real) => attackerSigned(real.claims, { kid: '../../../../../../etc/passwd' }),
  },
  {
    name: 'kid injection: SQL',
    forge: (real) => attackerSigned(real.claims, { kid: "' OR '1'='1' --" }),
  },
  {
    name: 'kid injection: a URL',
    forge: (real) => attackerSigned(real.claims, { kid: 'https://attacker.example/jwks.json' }),
  },
  {
    name: 'kid injection: an object',
    forge: (real) => attackerSigned(real.claims, { kid: { $ne: null } }),
  },
  {
    name: 'unknown kid',
    forge: (real) =>
      attackerSigned(real.claims, { kid: 'jwk-test-00000000-0000-4000-8000-000000000000' }),
  },
  {
    name: 'embedded jwk header carrying the attacker key',
    forge: async (real) =>
      attackerSigned(real.claims, { jwk: await exportJWK(kit.attacker.publicKey) }),
  },
  {
    name: "another Stytch project's signing key under our kid",
    forge: (real) =>
      signJwt(real.claims, { alg: 'RS256', typ: 'JWT', kid: kit.kid }, tokens.otherProjectKey),
  },
  {
    name: 'a genuine token of another Stytch project',
    forge: (real) => real.otherProjectToken,
  },
  {
    name: 'wrong aud (another project), validly signed',
    forge: (real) => real.mint({ audience: [OTHER_PROJECT] }),
  },
  {
    name: 'wrong aud (a bare string of another project), validly signed',
    forge: (real) => real.mint({ audience: OTHER_PROJECT }),
  },
  {
    name: 'no aud, validly signed',
    forge: (real) => stytchSigned(tokenClaimsWith(real, { aud: null })),
  },
  {
    name: 'wrong iss (another project), validly signed',
    forge: (real) => real.mint({ issuer: `stytch.com/${OTHER_PROJECT}` }),
  },
  {
    name: 'wrong iss (an attacker URL), validly signed',
    forge: (real) => real.mint({ issuer: 'https://attacker.example' }),
  },
  {
    name: 'iss with a trailing slash, validly signed',
    forge: (real) => real.mint({ issuer: `${world.stytch.url}/` }),
  },
  {
    name: 'expired an hour ago, validly signed',
    forge: (real) =>
      real.mint({ issuedAt: new Date(Date.now() - 2 * HOUR * 1000), expiresInSeconds: HOUR }),
  },
  {
    name: 'expired a minute ago (beyond the clock tolerance), validly signed',
    forge: (real) =>
      real.mint({ issuedAt: new Date(Date.now() - HOUR * 1000 - 60_000), expiresInSeconds: HOUR }),
  },
  {
    name: 'not yet valid (nbf in a minute), validly signed',
    forge: (real) => real.mint({ issuedAt: new Date(Date.now() + 60_000) }),
  },
  {
    name: 'no exp, validly signed',
    forge: (real) => stytchSigned(tokenClaimsWith(real, { exp: null })),
  },
  {
    name: 'no nbf, validly signed',
    forge: (real) => stytchSigned(tokenClaimsWith(real, { nbf: null })),
  },
  {
    name: 'typ "at+jwt", validly signed',
    forge: (real) => stytchSigned(real.claims, { typ: 'at+jwt' }),
  },
  {
    name: 'tampered scope: read:reports widened to read:*',
    forge: (real) =>
      tampered(real.token, tokenClaimsWith(real, { scope: scopeWith(real, HELD_SCOPE, 'read:*') })),
  },
  {
    name: 'tampered scope: read:secrets added',
    forge: (real) =>
      tampered(
        real.token,
        tokenClaimsWith(real, { scope: `${String(real.claims['scope'])} read:secrets` })
      ),
  },
  {
    name: 'tampered sub (another client or member)',
    forge: (real) =>
      tampered(
        real.token,
        tokenClaimsWith(real, { sub: 'member-test-00000000-0000-4000-8000-000000000000' })
      ),
  },
  {
    name: 'tampered exp: extended by a day',
    forge: (real) => tampered(real.token, tokenClaimsWith(real, { exp: nowSeconds() + 24 * HOUR })),
  },
  {
    name: 'tampered organization claim: another organization',
    only: 'oauth',
    forge: (real) =>
      tampered(
        real.token,
        tokenClaimsWith(real, {
          [ORGANIZATION_CLAIM]: { organization_id: tokens.otherOrganizationId, slug: 'victim' },
        })
      ),
  },
  {
    name: 'tampered organization claim: removed (the OAuth token posing as M2M)',
    only: 'oauth',
    forge: (real) => tampered(real.token, tokenClaimsWith(real, { [ORGANIZATION_CLAIM]: null })),
  },
  {
    name: 'tampered organization claim: added (the M2M token posing as OAuth)',
    only: 'm2m',
    forge: (real) =>
      tampered(
        real.token,
        tokenClaimsWith(real, {
          [ORGANIZATION_CLAIM]: {
            organization_id: tokens.member.organization.organization_id,
            slug: 'victim',
          },
        })
      ),
  },
  {
    name: 'tampered: the session claim added (posing as a member session)',
    forge: (real) =>
      tampered(real.token, tokenClaimsWith(real, { [SESSION_CLAIM]: kit.claims[SESSION_CLAIM] })),
  },
  {
    name: 'signature stripped',
    forge: (real) => real.token.split('.').slice(0, 2).join('.') + '.',
  },
  {
    name: 'a payload over 4 KiB',
    forge: (real) => attackerSigned({ ...real.claims, padding: 'x'.repeat(4096) }),
    type: 'token_extraction',
  },
]

/** A 401 of `type` with a Bearer challenge. */
async function expectRefused(res: Response, type = 'token_verification'): Promise<void> {
  expect({ status: res.status, body: await res.json() }).toMatchObject({
    status: 401,
    body: { type },
  })
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
}

beforeAll(async () => {
  tokens = await tokenKit()
})
afterAll(() => {
  expect(tokenLedger.violations()).toEqual([])
})

describe('access-token attacks: 401, no handler, no call to /sessions/authenticate', () => {
  const cases = TOKEN_ATTACKS.flatMap((attack) =>
    (['m2m', 'oauth'] as const)
      .filter((kind) => !attack.only || attack.only === kind)
      .map((kind) => [`${kind}: ${attack.name}`, kind, attack] as const)
  )
  it.each(cases)('%s', async (_name, kind, attack) => {
    const real = tokens[kind]
    const jwt = await attack.forge(real)
    const type = attack.type ?? 'token_verification'
    const before = world.stytch.emulator.calls.authenticate
    const handled = tokenLedger.handledCount
    const routes = [`/${real.group}/me`, `/${real.group}/secrets`, '/any/me', '/any/reports']
    for (const route of routes)
      await expectRefused(await tokens.app.request(route, bearer(jwt)), type)
    await expectRefused(
      await tokens.app.request(`/${real.group}/me`, {
        headers: { cookie: `stytch_session_jwt=${jwt}` },
      }),
      type
    )
    const optional = await tokens.app.request('/optional/me', bearer(jwt))
    expect({ status: optional.status, body: await optional.json() }).toEqual({
      status: 200,
      body: { auth: null },
    })
    expect(tokenLedger.handledCount).toBe(handled + 1) // the optional route's, with no principal
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })
})

/** The JSON of `res`, with its status. */
async function answer(res: Response): Promise<{ status: number; body: unknown }> {
  return { status: res.status, body: await res.json() }
}

describe('valid access tokens are accepted where their kind is (so the attacks cannot pass vacuously)', () => {
  const principalOf = (real: RealToken) =>
    real.identity.kind === 'machine'
      ? { kind: 'machine', clientId: real.identity.clientId, scopes: real.claims['scope'] }
      : { ...real.identity }

  it.each(['m2m', 'oauth'] as const)(
    'a valid %s token: 200 on its own route, the all-kinds route, the optional route and behind a scope it holds',
    async (kind) => {
      const real = tokens[kind]
      const before = world.stytch.emulator.calls.authenticate
      const expected = principalOf(real)
      for (const route of [
        `/${real.group}/me`,
        `/${real.group}/reports`,
        '/any/me',
        '/any/reports',
      ]) {
        const res = await answer(await tokens.app.request(route, bearer(real.token)))
        expect(res).toMatchObject({
          status: 200,
          body: { ...expected, scopes: String(real.claims['scope']).split(' ') },
        })
      }
      const optional = await answer(await tokens.app.request('/optional/me', bearer(real.token)))
      expect(optional).toMatchObject({ status: 200, body: { auth: { kind: expected.kind } } })
      expect(world.stytch.emulator.calls.authenticate).toBe(before)
    }
  )

  it.each(['m2m', 'oauth'] as const)(
    'a valid %s token behind requireScopes of a scope it lacks: 403 insufficient_scope, never 200, no handler',
    async (kind) => {
      const real = tokens[kind]
      const handled = tokenLedger.handledCount
      for (const route of [`/${real.group}/secrets`, '/any/secrets']) {
        const res = await tokens.app.request(route, bearer(real.token))
        expect(await answer(res)).toMatchObject({
          status: 403,
          body: { error: 'insufficient_scope', required_scopes: [MISSING_SCOPE] },
        })
        expect(res.headers.get('www-authenticate')).toBe(
          `Bearer error="insufficient_scope", scope="${MISSING_SCOPE}"`
        )
      }
      expect(tokenLedger.handledCount).toBe(handled)
    }
  )

  it('a member session behind requireScopes on the all-kinds route: 403 insufficient_scope (a session holds no scopes)', async () => {
    const res = await tokens.app.request('/any/reports', bearer(tokens.member.sessionJwt))
    expect(await answer(res)).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope', required_scopes: [HELD_SCOPE] },
    })
    expect((await tokens.app.request('/any/me', bearer(tokens.member.sessionJwt))).status).toBe(200)
  })

  it.each(['m2m', 'oauth'] as const)(
    'the %s token signed the ways the validly signed attacks are, with nothing changed, is accepted: those attacks fail on their change alone',
    async (kind) => {
      const real = tokens[kind]
      const resigned = tokenLedger.issue(await stytchSigned(real.claims), real.identity)
      const minted = tokenLedger.issue(await real.mint(), real.identity)
      for (const token of [resigned, minted])
        expect((await tokens.app.request(`/${real.group}/me`, bearer(token))).status).toBe(200)
    }
  )

  it.each(['m2m', 'oauth'] as const)(
    'a %s token that Stytch really granted read:* passes requireScopes(read:secrets): the tampered read:* fails on its signature alone',
    async (kind) => {
      const real = tokens[kind]
      const granted = tokenLedger.issue(await real.mint({ scopes: ['read:*'] }), real.identity)
      const res = await tokens.app.request(`/${real.group}/secrets`, bearer(granted))
      expect(await answer(res)).toMatchObject({ status: 200, body: { scopes: ['read:*'] } })
    }
  )
})

/** The credential a confusion case presents, genuine and fresh (never cached before the case). */
type Credential = 'session JWT' | 'opaque session token' | 'M2M token' | 'OAuth token'

const CONFUSIONS: readonly (readonly [Credential, refusedBy: Group, acceptedBy: Group])[] = [
  ['session JWT', 'm2m', 'session'],
  ['session JWT', 'oauth', 'session'],
  ['opaque session token', 'm2m', 'session'],
  ['opaque session token', 'oauth', 'session'],
  ['M2M token', 'session', 'm2m'],
  ['M2M token', 'oauth', 'm2m'],
  ['OAuth token', 'session', 'oauth'],
  ['OAuth token', 'm2m', 'oauth'],
]

/** A genuine credential of the kind, never sent before, registered in the ledgers. */
async function freshCredential(credential: Credential): Promise<string> {
  switch (credential) {
    case 'session JWT':
      return (await world.session(ledger)).sessionJwt
    case 'opaque session token':
      return (await world.session(ledger)).sessionToken
    case 'M2M token':
      return tokenLedger.issue(
        await tokens.m2m.mint({ customClaims: { nonce: crypto.randomUUID() } }),
        tokens.m2m.identity
      )
    case 'OAuth token':
      return tokenLedger.issue(await tokens.oauth.mint(), tokens.oauth.identity)
  }
}

describe('a genuine token on a route that does not accept its kind: 401 before and after a route that does cached it', () => {
  it.each(
    CONFUSIONS.map(([credential, refused, accepted]) => [
      `${credential} on the ${refused}-only route (accepted by the ${accepted} route)`,
      credential,
      refused,
      accepted,
    ])
  )('%s', async (_name, credential, refused, accepted) => {
    const token = await freshCredential(credential)
    const refusals = async () => {
      const before = world.stytch.emulator.calls.authenticate
      const handled = tokenLedger.handledCount
      for (const route of [`/${refused}/me`, `/${refused}/reports`])
        await expectRefused(await tokens.app.request(route, bearer(token)))
      expect(tokenLedger.handledCount).toBe(handled)
      expect(world.stytch.emulator.calls.authenticate).toBe(before)
    }
    await refusals() // cold: the token was never verified
    expect((await tokens.app.request(`/${accepted}/me`, bearer(token))).status).toBe(200)
    await refusals() // hot: the token is in the cache the refusing route shares
  })
})

describe('property: real access tokens with one character changed', () => {
  it.each(['m2m', 'oauth'] as const)(
    'a %s token with one character changed is a 401, or (base64url slack in the last character) the very same token',
    async (kind) => {
      const real = tokens[kind]
      const jwt = real.token
      const before = world.stytch.emulator.calls.authenticate
      await everyOneCharacterChange(
        jwt,
        (mutated) => tokens.app.request('/any/me', bearer(mutated)),
        (mutated) => tokenLedger.issue(mutated, real.identity),
        300
      )
      expect(world.stytch.emulator.calls.authenticate).toBe(before)
    }
  )
})

describe('an access token past its exp', () => {
  it('an M2M and an OAuth token accepted and cached while valid are 401s once their exp has passed, with no Stytch call', async () => {
    const cached = await Promise.all(
      (['m2m', 'oauth'] as const).map(async (kind) => {
        const real = tokens[kind]
        const token = tokenLedger.issue(
          // `iat` is a whole second: 2 s leave at least one of validity for the first request.
          await real.mint({ expiresInSeconds: 2, customClaims: { nonce: crypto.randomUUID() } }),
          real.identity
        )
        const route = `/${real.group}/me`
        expect((await tokens.app.request(route, bearer(token))).status).toBe(200)
        return { token, route }
      })
    )
    const exp = Math.max(...cached.map(({ token }) => Number(claimsOf(token).exp) * 1000))
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp - Date.now()) + 50))
    const before = world.stytch.emulator.calls.authenticate
    const handled = tokenLedger.handledCount
    for (const { token, route } of cached) {
      await expectRefused(await tokens.app.request(route, bearer(token)))
      await expectRefused(await tokens.app.request('/any/reports', bearer(token)))
    }
    expect(tokenLedger.handledCount).toBe(handled)
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })
})

describe('a validly signed session JWT past its exp, on a route that accepts no sessions', () => {
  // A session JWT past its 5-minute exp may name a live session, which only Stytch can tell; on a
  // route that accepts no sessions the answer is a 401 either way, so asking would only spend the
  // project's quota and the verification limiter's slots.
  it.each(['m2m', 'oauth'] as const)(
    'on the %s-only route it is a 401 without a call to /sessions/authenticate',
    async (group) => {
      const session = await world.session(ledger)
      const stale = ledger.alias(
        await world.stytch.emulator.mintSessionJwt(session.session.member_session_id, {
          issuedAt: new Date(Date.now() - 600_000),
        }),
        session
      )
      const before = world.stytch.emulator.calls.authenticate
      const handled = tokenLedger.handledCount
      await expectRefused(await tokens.app.request(`/${group}/me`, bearer(stale)))
      expect(tokenLedger.handledCount).toBe(handled)
      expect(world.stytch.emulator.calls.authenticate).toBe(before)
    }
  )
})

/**
 * `numRuns` copies of `jwt` with one character changed, each sent: a 401, or a 200 only where
 * base64url's slack in a segment's last character leaves the bytes as they were (`accepted` then
 * records the copy as the same token).
 */
async function everyOneCharacterChange(
  jwt: string,
  send: (mutated: string) => Response | Promise<Response>,
  accepted: (mutated: string) => void,
  numRuns: number
): Promise<void> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: jwt.length - 1 }),
      fc.constantFrom(...alphabet),
      async (at, char) => {
        if (jwt[at] === '.' || jwt[at] === char) return
        const mutated = `${jwt.slice(0, at)}${char}${jwt.slice(at + 1)}`
        const res = await send(mutated)
        if (res.status === 200) {
          expect(sameBytes(mutated, jwt)).toBe(true)
          accepted(mutated)
        } else expect(res.status).toBe(401)
      }
    ),
    { numRuns }
  )
}
