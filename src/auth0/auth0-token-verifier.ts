/**
 * @module
 * Local verification of Auth0 access tokens (JWTs) against the tenant's JWKS: the checks
 * express-oauth2-jwt-bearer makes (signature with an allowed asymmetric algorithm, `iss` exact,
 * `aud` overlapping, `exp` and `nbf` with 5 s of tolerance), plus the stricter rules of ayz-auth:
 * `typ` when present is `JWT` or `at+jwt`, a future `iat` is refused, a header naming a key by URL
 * or embedding one is refused, duplicate JSON members are refused, and so is a token over 4 KiB.
 * No network call is made but to the JWKS.
 */
import {
  base64url,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose'
import { ASYMMETRIC_ALGORITHMS } from './asymmetric-algorithms.ts'
import { auth0PrincipalOf, type Auth0Principal } from './auth0-principal.ts'
import { firstDuplicateMember } from './first-duplicate-member.ts'
import { RemoteKeySet } from './remote-key-set.ts'

/**
 * Where an Auth0 tenant's tokens come from and whom they must be for.
 *
 * @example
 * const options: Auth0TokenVerifierOptions = {
 *   issuer: 'https://tenant.auth0.com/',
 *   jwksUrl: 'https://tenant.auth0.com/.well-known/jwks.json',
 *   audience: 'https://api.example.com',
 *   timeoutMs: 5000,
 * }
 */
export interface Auth0TokenVerifierOptions {
  /** The exact `iss`: `https://{domain}/`, trailing slash included. */
  readonly issuer: string
  /** The tenant's JWKS, fetched directly: `https://{domain}/.well-known/jwks.json`. */
  readonly jwksUrl: URL | string
  /** The API identifier; `aud` must equal it or (an array) contain it. Several: any one. */
  readonly audience: string | readonly string[]
  /** Asymmetric algorithms only; default `['RS256']`. `HS*` or `none` throws. */
  readonly algorithms?: readonly string[]
  /** How long a JWKS fetch may take, in ms. */
  readonly timeoutMs: number
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch
}

/**
 * What verifying an Auth0 access token concluded. `validUntil` is `exp` in ms since the epoch;
 * `unavailable` means that no signing key could ever be fetched, so nothing can be concluded.
 *
 * @example
 * if (outcome.status === 'valid') cache.set(token, outcome.principal, outcome.validUntil)
 */
export type Auth0VerificationOutcome =
  | {
      readonly status: 'valid'
      readonly principal: Auth0Principal
      readonly validUntil: number
    }
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'unavailable'; readonly cause: unknown }

/**
 * Verifies one tenant's access tokens; it never rejects.
 *
 * @example
 * const outcome = await verifier.verify(token) // { status: 'valid', principal, validUntil }
 */
export interface Auth0TokenVerifier {
  verify(token: string): Promise<Auth0VerificationOutcome>
}

/**
 * Seconds of clock skew tolerated on `exp`, `nbf` and `iat` (express-oauth2-jwt-bearer's default):
 * a token verifies until 5 s past its `exp`.
 *
 * @example
 * ```ts
 * const refuseFor = validUntil + CLOCK_TOLERANCE_SECONDS * 1000 - Date.now()
 * ```
 */
export const CLOCK_TOLERANCE_SECONDS = 5
/** Largest token accepted: 4 KiB, as for every credential ayz-auth reads. */
const MAX_TOKEN_BYTES = 4096
/** `typ` values of Auth0's two token profiles (compared lowercase, `application/` prefix dropped). */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt'])
/**
 * Header parameters that name a key by URL or carry one: never followed. Auth0 sets none of them
 * (its header is `alg`, `typ`, `kid`), so a token with one was not made by Auth0's token endpoint.
 */
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const
/** Reads a decoded segment as UTF-8, refusing invalid bytes. */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A verifier for one Auth0 tenant's access tokens. Keys come from the JWKS alone (see
 * {@link RemoteKeySet}: cached, an unknown `kid` refetched at most every 5 s, answered from memory
 * while the JWKS is down). Checks, all before a token is `valid`:
 *
 * - at most 4 KiB; no JSON member named twice in the header or the claims;
 * - header: `alg` among `algorithms`; `typ`, when present, `JWT` or `at+jwt` (any case, with or
 *   without `application/`); no `jku`, `x5u`, `jwk` or `x5c`: their mere presence makes the token
 *   invalid rather than ignored, so that nothing downstream can ever be tempted to follow them;
 * - signature, by the JWKS key the header's `kid` names;
 * - `iss` exactly `issuer`; `aud` equal to, or an array containing, the audience;
 * - `exp` required and `nbf` when present, with 5 s of tolerance; `iat`, when present, no more than
 *   5 s in the future;
 * - Auth0's claims shape (`sub`; `scope` a string; `permissions` strings; see `auth0PrincipalOf`).
 *
 * Throws at construction when `algorithms` is empty or lists anything but asymmetric algorithms.
 *
 * @example
 * ```ts
 * const verifier = auth0TokenVerifier({
 *   issuer: 'https://tenant.auth0.com/',
 *   jwksUrl: 'https://tenant.auth0.com/.well-known/jwks.json',
 *   audience: 'https://api.example.com',
 *   timeoutMs: 5000,
 * })
 * const outcome = await verifier.verify(token)
 * if (outcome.status === 'valid' && outcome.principal.kind === 'user') outcome.principal.userId
 * ```
 */
export function auth0TokenVerifier(options: Auth0TokenVerifierOptions): Auth0TokenVerifier {
  const algorithms = [...(options.algorithms ?? ['RS256'])]
  const refused = algorithms.filter((algorithm) => !ASYMMETRIC_ALGORITHMS.has(algorithm))
  if (algorithms.length === 0 || refused.length > 0) {
    throw new TypeError(
      `Auth0 algorithms must be asymmetric (${[...ASYMMETRIC_ALGORITHMS].join(', ')}); ` +
        `refused: ${refused.join(', ') || 'an empty list'}`
    )
  }
  const keys = new RemoteKeySet({
    url: options.jwksUrl,
    timeoutMs: options.timeoutMs,
    ...(options.fetch && { fetch: options.fetch }),
  })
  const verifyOptions = {
    issuer: options.issuer,
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
  }
  return {
    async verify(token) {
      const malformed = structuralProblemOf(token)
      if (malformed) return { status: 'invalid', reason: malformed }
      let payload: JWTPayload
      try {
        payload = (await jwtVerify(token, keys.keyFor, verifyOptions)).payload
      } catch (error) {
        return RemoteKeySet.isUnavailable(error)
          ? { status: 'unavailable', cause: error.cause }
          : { status: 'invalid', reason: reasonOf(error) }
      }
      if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
        return { status: 'invalid', reason: 'the "iat" claim is in the future' }
      }
      const principal = auth0PrincipalOf(payload)
      if (!principal) return { status: 'invalid', reason: 'the Auth0 claims are malformed' }
      return { status: 'valid', principal, validUntil: principal.expiresAt.getTime() }
    },
  }
}

/** Why a token is refused before its signature is even looked at, or `undefined` to go on. */
function structuralProblemOf(token: string): string | undefined {
  if (token.length > MAX_TOKEN_BYTES) return 'the token is larger than 4 KiB'
  const segments = token.split('.')
  if (segments.length !== 3) return 'the token is not a compact JWS'
  let header: ProtectedHeaderParameters
  try {
    for (const segment of segments.slice(0, 2)) {
      const json = UTF8.decode(base64url.decode(segment))
      JSON.parse(json)
      const duplicate = firstDuplicateMember(json)
      if (duplicate !== undefined) return 'the token names a JSON member twice'
    }
    header = decodeProtectedHeader(token)
  } catch {
    return 'the token is malformed'
  }
  const carried = KEY_CARRYING_HEADERS.find((name) => name in header)
  if (carried) return `the token header carries "${carried}", which is never followed`
  if (header.typ !== undefined && !isAcceptedType(header.typ)) {
    return 'the token header "typ" is neither JWT nor at+jwt'
  }
  return undefined
}

/** Whether a `typ` is one of Auth0's profiles (media types: any case, `application/` optional). */
function isAcceptedType(typ: unknown): boolean {
  return (
    typeof typ === 'string' && ACCEPTED_TYPES.has(typ.toLowerCase().replace(/^application\//, ''))
  )
}

/** A jose error's message (never the token), or a generic reason. */
function reasonOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? error.message : 'the token does not verify'
}
