/**
 * Our Auth0 verifier against Auth0's own: express-oauth2-jwt-bearer (v1.10), configured as its
 * README says (`issuerBaseURL` and `audience`; discovery then supplies the issuer with its
 * trailing slash, the JWKS URI and the allowed algorithms), pointed at the emulator. It takes a
 * plain `http://127.0.0.1` issuer as it is: its `fetch` picks `http.get` or `https.get` by the
 * URL's protocol, and its only https rule (no http issuer when NODE_ENV is production) applies to
 * multiple-custom-domain (`mcd`) issuers alone.
 *
 * A seeded fast-check generator makes 3 × 180 tokens over three key states (before any rotation;
 * rotated, the previous key still published; previous key revoked): valid, expired, not yet valid,
 * within the clock tolerance, wrong audience, audience arrays, wrong issuer, issuer without the
 * trailing slash, unknown `kid`, user and machine tokens, `typ` variants. Each token is judged by
 * our verifier, by the library as an app runs it (`auth0Auth()` configured by the environment the
 * emulator gives, in front of a route: 200 or 401) and by express. All start each state with an
 * empty key cache; the middleware answers as our verifier on every token, and both agree with
 * express on every token, except where DESIGN is stricter than express-oauth2-jwt-bearer on
 * purpose; there ours must refuse, for that reason:
 *
 * - `typ` other than `JWT` or `at+jwt`: express checks `typ` only in `strict` mode (and then wants
 *   `at+jwt`, which every default-profile Auth0 token fails);
 * - `iat` more than 5 s in the future: express checks `iat` only when `maxTokenAge` is set;
 * - a `jku` header: express (through jose) ignores it; DESIGN refuses a token carrying one.
 */
import fc from 'fast-check'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth0TokenVerifier } from '../../src/auth0/auth0-token-verifier.ts'
import { auth0Auth, closeAuth, type Auth0Env } from '../../src/index.ts'
import type { MintAuth0TokenOptions } from '../../src/testing/auth0/emulator.ts'
import type { Auth0KeyChoice } from '../../src/testing/auth0/signing-keys.ts'
import {
  startAuth0Emulator,
  type RunningAuth0Emulator,
} from '../../src/testing/auth0/start-auth0-emulator.ts'
import { mapConcurrently, startOracle, type Oracle } from './support.ts'

/** Why ours may refuse a token express accepts (see the module comment). */
type Stricter = 'typ' | 'iat' | 'jku'

interface TokenCase {
  readonly kind: 'user' | 'machine'
  readonly key: Auth0KeyChoice
  readonly typ: string | null
  readonly audience: 'api' | 'api+userinfo' | 'userinfo' | 'other' | 'others'
  readonly issuer: 'exact' | 'no-slash' | 'other-tenant' | 'localhost'
  /** Seconds from now. */
  readonly exp: number
  readonly nbf: number | undefined
  readonly iat: number | 'absent'
  readonly jku: boolean
}

/** Which keys sign verifiable tokens in each key state. */
const PHASES: ReadonlyArray<{ name: string; keys: readonly Auth0KeyChoice[] }> = [
  { name: 'before any rotation', keys: ['current', 'next', 'unpublished'] },
  { name: 'rotated', keys: ['current', 'next', 'previous', 'unpublished'] },
  { name: 'previous key revoked', keys: ['current', 'next', 'previous', 'unpublished'] },
]
const TOKENS_PER_PHASE = 180
const SEED = 20_260_430

/** Mostly the good value, so that many tokens are valid and each fault is seen alone. */
function mostly<T>(good: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { arbitrary: fc.constant(good), weight: 5 },
    { arbitrary: fc.constantFrom(...others), weight: 1 }
  )
}

function tokenCases(keys: readonly Auth0KeyChoice[], seed: number): TokenCase[] {
  const arbitrary: fc.Arbitrary<TokenCase> = fc.record({
    kind: fc.constantFrom('user', 'machine'),
    key: fc.constantFrom(...keys),
    typ: mostly<string | null>(
      'JWT',
      'jwt',
      'at+jwt',
      'AT+JWT',
      'application/at+jwt',
      null,
      'JWS',
      'dpop+jwt'
    ),
    audience: mostly<TokenCase['audience']>('api', 'api+userinfo', 'userinfo', 'other', 'others'),
    issuer: mostly<TokenCase['issuer']>('exact', 'no-slash', 'other-tenant', 'localhost'),
    exp: mostly(86_400, 600, 30, -30, -600, -86_400),
    nbf: mostly<number | undefined>(undefined, -60, 2, 30, 3_600),
    iat: mostly<number | 'absent'>(0, 'absent', -3_600, 2, 30),
    jku: mostly(false, true),
  })
  return fc.sample(arbitrary, { seed, numRuns: TOKENS_PER_PHASE })
}

let auth0: RunningAuth0Emulator
let oracle: Oracle
beforeAll(async () => {
  auth0 = await startAuth0Emulator()
  oracle = await startOracle({ issuerBaseURL: auth0.url, audience: auth0.audience })
})
afterAll(async () => {
  await closeAuth()
  await oracle?.close()
  await auth0?.close()
})

/** An app behind `auth0Auth()`, configured by the emulator's environment; its own key cache. */
function middlewareApp(prefix: string): (token: string) => Promise<number> {
  const app = new Hono<Auth0Env>()
  app.use('*', auth0Auth({ prefix }))
  app.get('/', (c) => c.json({ kind: c.var.auth.kind }))
  return async (token) => {
    const response = await app.request(
      '/',
      { headers: { authorization: `Bearer ${token}` } },
      auth0.env()
    )
    await response.body?.cancel()
    return response.status
  }
}

async function mint(tokenCase: TokenCase): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const issuers = {
    exact: auth0.issuer,
    'no-slash': auth0.url,
    'other-tenant': 'https://tenant.auth0.com/',
    localhost: auth0.issuer.replace('127.0.0.1', 'localhost'),
  }
  const audiences = {
    api: auth0.audience,
    'api+userinfo': [auth0.audience, `${auth0.issuer}userinfo`],
    userinfo: [`${auth0.issuer}userinfo`],
    other: 'https://other.example.test',
    others: ['https://other.example.test', 'https://third.example.test'],
  }
  const options: MintAuth0TokenOptions = {
    key: tokenCase.key,
    typ: tokenCase.typ,
    audience: audiences[tokenCase.audience],
    expiresIn: tokenCase.exp,
    ...(tokenCase.nbf !== undefined && { notBefore: tokenCase.nbf }),
    claims: {
      iss: issuers[tokenCase.issuer],
      iat: tokenCase.iat === 'absent' ? undefined : now + tokenCase.iat,
    },
    ...(tokenCase.jku && { header: { jku: 'http://127.0.0.1:9/jwks.json' } }),
  }
  return tokenCase.kind === 'user'
    ? auth0.emulator.mintUserToken(options)
    : auth0.emulator.mintMachineToken(options)
}

/** The rules of DESIGN stricter than express's that this token breaks. */
function stricterRulesBroken(tokenCase: TokenCase): Stricter[] {
  const typ = tokenCase.typ?.toLowerCase().replace(/^application\//, '')
  return [
    ...(typ !== undefined && typ !== 'jwt' && typ !== 'at+jwt' ? (['typ'] as const) : []),
    ...(typeof tokenCase.iat === 'number' && tokenCase.iat > 5 ? (['iat'] as const) : []),
    ...(tokenCase.jku ? (['jku'] as const) : []),
  ]
}

interface Verdict {
  readonly phase: string
  readonly tokenCase: TokenCase
  readonly ours: boolean
  readonly reason: string | undefined
  readonly oracle: boolean
  /** What `auth0Auth()` answered: 200 or 401. */
  readonly middleware: number
}

describe('our verifier, auth0Auth() and express-oauth2-jwt-bearer', () => {
  it('agree on every generated token, but where DESIGN is stricter on purpose', async () => {
    const verdicts: Verdict[] = []
    for (const [index, phase] of PHASES.entries()) {
      if (index === 1) await auth0.emulator.rotateKeys()
      if (index === 2) await auth0.emulator.revokePreviousKey()
      // Both start the key state with an empty key cache, as freshly started servers would.
      oracle.reconfigure({ issuerBaseURL: auth0.url, audience: auth0.audience })
      const ours = auth0TokenVerifier({
        issuer: auth0.issuer,
        jwksUrl: auth0.jwksUrl,
        audience: auth0.audience,
        timeoutMs: 5_000,
      })
      const throughMiddleware = middlewareApp(`oracle_${index}`)
      const cases = tokenCases(phase.keys, SEED + index)
      const tokens = await Promise.all(cases.map(mint))
      const results = await mapConcurrently(tokens, 16, async (token) => {
        const [outcome, accepted, middleware] = await Promise.all([
          ours.verify(token),
          oracle.accepts(token),
          throughMiddleware(token),
        ])
        return { outcome, accepted, middleware }
      })
      results.forEach(({ outcome, accepted, middleware }, at) => {
        expect(outcome.status).not.toBe('unavailable')
        verdicts.push({
          phase: phase.name,
          tokenCase: cases[at]!,
          ours: outcome.status === 'valid',
          reason: outcome.status === 'invalid' ? outcome.reason : undefined,
          oracle: accepted,
          middleware,
        })
      })
    }

    expect(verdicts.length).toBeGreaterThanOrEqual(500)
    // The middleware answers as the verifier: 200 for a valid token, 401 for any other, never 503.
    expect(verdicts.filter((verdict) => verdict.middleware !== (verdict.ours ? 200 : 401))).toEqual(
      []
    )
    // Every disagreement is ours refusing, for a stricter rule of DESIGN the token breaks.
    const unexplained = verdicts.filter(
      (verdict) =>
        verdict.ours !== verdict.oracle &&
        !(verdict.oracle && !verdict.ours && stricterRulesBroken(verdict.tokenCase).length > 0)
    )
    expect(unexplained).toEqual([])
    // And a token breaking one is always refused by ours, which says why.
    const stricter = verdicts.filter((verdict) => stricterRulesBroken(verdict.tokenCase).length > 0)
    for (const verdict of stricter) {
      expect(verdict.ours).toBe(false)
      if (verdict.oracle) {
        expect(stricterRulesBroken(verdict.tokenCase)).toContain(
          (['typ', 'iat', 'jku'] as const).find((rule) => verdict.reason?.includes(rule))
        )
      }
    }
    // The difference is real: express accepts tokens that break each of these rules alone.
    const acceptedByExpressAlone = (rule: Stricter) =>
      stricter.filter(
        (verdict) => verdict.oracle && stricterRulesBroken(verdict.tokenCase).join() === rule
      ).length
    expect({
      typ: acceptedByExpressAlone('typ') > 0,
      iat: acceptedByExpressAlone('iat') > 0,
      jku: acceptedByExpressAlone('jku') > 0,
    }).toEqual({ typ: true, iat: true, jku: true })
    // The corpus exercises both answers and every key state.
    const agreed = (accepted: boolean) =>
      verdicts.filter((verdict) => verdict.ours === accepted && verdict.oracle === accepted)
    expect(agreed(true).length).toBeGreaterThan(100)
    expect(agreed(false).length).toBeGreaterThan(100)
    const signedBy = (key: Auth0KeyChoice, phase?: string) =>
      verdicts.filter(
        (verdict) =>
          verdict.tokenCase.key === key && (phase === undefined || verdict.phase === phase)
      )
    expect(
      agreed(true).filter((verdict) => verdict.tokenCase.key === 'previous').length
    ).toBeGreaterThan(0)
    expect(
      signedBy('previous', 'previous key revoked').some((verdict) => verdict.ours || verdict.oracle)
    ).toBe(false)
    expect(signedBy('unpublished').some((verdict) => verdict.ours || verdict.oracle)).toBe(false)
    expect(
      agreed(true).filter((verdict) => verdict.tokenCase.key === 'next').length
    ).toBeGreaterThan(0)
  })

  it('accept the emulator configured without discovery too (issuer and jwksUri, plain http)', async () => {
    const direct = await startOracle({
      issuer: auth0.issuer,
      jwksUri: auth0.jwksUrl,
      audience: auth0.audience,
    })
    try {
      expect(await direct.accepts(await auth0.emulator.mintUserToken())).toBe(true)
      expect(
        await direct.accepts(await auth0.emulator.mintUserToken({ claims: { iss: auth0.url } }))
      ).toBe(false)
    } finally {
      await direct.close()
    }
  })
})
