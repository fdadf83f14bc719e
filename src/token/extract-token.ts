/**
 * @module
 * Finds the Stytch session token or session JWT a request carries, and rejects anything that is
 * not a well-formed one, before any cache or network is touched.
 */
import { parse as parseCookies } from 'hono/utils/cookie'
import { MISSING_TOKEN_MESSAGE } from '../errors/auth-error.ts'

/** Where a token may come from, in the order tried. */
export type TokenSource = 'header' | 'cookie'

/** What kind of credential a token is. */
export type TokenKind = 'session_token' | 'session_jwt'

/** A token found in a request. */
export interface ExtractedToken {
  readonly ok: true
  readonly token: string
  readonly kind: TokenKind
}

/** Why no usable token was found; `missing` is true when the request carried none at all. */
export interface ExtractionFailure {
  readonly ok: false
  readonly missing: boolean
  readonly message: string
}

/** Names of the cookies Stytch's frontend SDKs set. */
export interface CookieNames {
  /** The opaque session token cookie. Default `stytch_session`. */
  readonly session: string
  /** The session JWT cookie. Default `stytch_session_jwt`. */
  readonly jwt: string
}

/** How {@link extractToken} looks for a token. */
export interface ExtractionRules {
  readonly tokenFrom: readonly TokenSource[]
  readonly cookieNames: CookieNames
}

/** The defaults: `Authorization: Bearer`, then Stytch's session cookie, then its JWT cookie. */
export const DEFAULT_EXTRACTION_RULES: ExtractionRules = Object.freeze({
  tokenFrom: Object.freeze(['header', 'cookie'] as const),
  cookieNames: Object.freeze({ session: 'stytch_session', jwt: 'stytch_session_jwt' }),
})

/** Largest accepted header or cookie value: 4 KiB of UTF-8. */
const MAX_BYTES = 4096
/** A string this short cannot exceed {@link MAX_BYTES} (3 UTF-8 bytes per UTF-16 unit at most). */
const SAFE_LENGTH = Math.floor(MAX_BYTES / 3)
/** `Bearer <b64token>` (RFC 6750 §2.1), scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i
/** A b64token: what a Stytch session token or JWT is made of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** Three base64url segments: a compact JWS. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * Extracts the token from request headers without throwing: the caller decides whether a failure
 * is a 401 or, in optional mode, an anonymous request.
 *
 * @example
 * ```ts
 * const found = extractToken(c.req.raw.headers)
 * if (!found.ok) throw new TokenExtractionError(found.message)
 * found.kind // 'session_token' | 'session_jwt'
 * ```
 */
export function extractToken(
  headers: Headers,
  rules: ExtractionRules = DEFAULT_EXTRACTION_RULES
): ExtractedToken | ExtractionFailure {
  for (const source of rules.tokenFrom) {
    const found =
      source === 'header' ? fromHeader(headers) : fromCookies(headers, rules.cookieNames)
    if (found) return found
  }
  return { ok: false, missing: true, message: MISSING_TOKEN_MESSAGE }
}

function fromHeader(headers: Headers): ExtractedToken | ExtractionFailure | undefined {
  const value = headers.get('authorization')
  if (value === null) return undefined
  // BEARER admits ASCII only, so a match's UTF-8 size is its length: no encoding on the hot path.
  const token = value.length <= MAX_BYTES ? BEARER.exec(value)?.[1] : undefined
  return token ? accepted(token) : diagnoseHeader(value)
}

/**
 * Every well-formed token a request carries, from all sources in order (e.g. to purge both the
 * session token and the session JWT of a browser at logout).
 *
 * @example
 * ```ts
 * extractAllTokens(c.req.raw.headers).map((found) => found.kind) // ['session_token', 'session_jwt']
 * ```
 */
export function extractAllTokens(
  headers: Headers,
  rules: ExtractionRules = DEFAULT_EXTRACTION_RULES
): ExtractedToken[] {
  const found = [fromHeader(headers), ...cookiesOf(headers, rules.cookieNames)]
  return found.filter((token): token is ExtractedToken => token?.ok === true)
}

function fromCookies(
  headers: Headers,
  names: CookieNames
): ExtractedToken | ExtractionFailure | undefined {
  return cookiesOf(headers, names).find((found) => found !== undefined)
}

function cookiesOf(
  headers: Headers,
  names: CookieNames
): (ExtractedToken | ExtractionFailure | undefined)[] {
  const cookie = headers.get('cookie')
  if (cookie === null) return []
  return [names.session, names.jwt].map((name) => {
    const value = parseCookies(cookie, name)[name]
    if (value === undefined) return undefined
    const problem = problemWith(value)
    return problem ? failed(`Invalid ${name} cookie: ${problem}`) : accepted(value)
  })
}

/**
 * Whether a token is a session JWT (three base64url segments) or an opaque session token.
 *
 * @example
 * ```ts
 * tokenKindOf('eyJhbGciOi….eyJzdWIiOi….c2ln') // 'session_jwt'
 * ```
 */
export function tokenKindOf(token: string): TokenKind {
  return JWT_SHAPE.test(token) ? 'session_jwt' : 'session_token'
}

function accepted(token: string): ExtractedToken {
  return { ok: true, token, kind: tokenKindOf(token) }
}

/** Explains why an `Authorization` value was rejected (the slow path: only for bad input). */
function diagnoseHeader(value: string): ExtractionFailure {
  if (!withinSizeLimit(value)) return failed('Authorization header is too large')
  if (hasControlCharacter(value)) return failed('Authorization header contains control characters')
  const match = /^(\S+)(?: +(.*))?$/.exec(value.trim())
  if (!match || match[1]?.toLowerCase() !== 'bearer') {
    return failed("Authorization header must be in format: 'Bearer <token>'")
  }
  const token = match[2] ?? ''
  if (token === '') return failed('Token cannot be empty')
  if (/,\s*bearer\s/i.test(token) || token.includes(',')) {
    return failed('Multiple Authorization headers are not allowed')
  }
  return failed(problemWith(token) ?? 'Token format appears invalid')
}

function problemWith(token: string): string | undefined {
  if (token === '') return 'Token cannot be empty'
  if (!withinSizeLimit(token)) return 'Token is too large'
  if (hasControlCharacter(token)) return 'Token contains control characters'
  if (!B64TOKEN.test(token)) return 'Token format appears invalid'
  return undefined
}

function failed(message: string): ExtractionFailure {
  return { ok: false, missing: false, message }
}

function withinSizeLimit(value: string): boolean {
  return value.length <= SAFE_LENGTH || new TextEncoder().encode(value).byteLength <= MAX_BYTES
}

function hasControlCharacter(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value)
}
