/**
 * @module
 * The extract stage: finds the credential a request carries (`Authorization: Bearer`, or Stytch's
 * session cookies) and rejects anything that is not a well-formed one, before any cache or network
 * is touched. {@link simpleToken} is the hot path's version: a cheap scan whose result is only ever
 * used as a cache key, so it need not validate what {@link extractToken} validated before.
 */
import { MISSING_TOKEN_MESSAGE } from '../errors/auth-error.ts'

/** Where a token may come from, in the order tried. */
export type TokenSource = 'header' | 'cookie'

/** What a token looks like: an opaque session token, or a JWT (three base64url segments). */
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
/** An `Authorization` value of the Bearer scheme, well formed or not. */
const BEARER_SCHEME = /^bearer(?:\s|$)/i
/** A b64token: what a Stytch session token or JWT is made of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** Three base64url segments: a compact JWS. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * The token of a request in its plainest form, found with a scan and no validation, or
 * `undefined`: `Authorization: Bearer <token>` as sent, or a Stytch cookie that appears exactly
 * once. Only a cache key is made of it: a token found in the cache passed {@link extractToken}
 * before, and anything else goes to the full path, which rejects what must be rejected (a header
 * sent twice arrives joined, `a, b`, and is never a cached token).
 *
 * @example
 * ```ts
 * const token = simpleToken(c.req.raw.headers, rules) // 'mZAYn5aLEq…' or undefined
 * ```
 */
export function simpleToken(headers: Headers, rules: ExtractionRules): string | undefined {
  for (const source of rules.tokenFrom) {
    if (source === 'header') {
      const value = headers.get('authorization')
      if (value === null) continue
      if (value.startsWith('Bearer ')) return value.length <= MAX_BYTES ? value.slice(7) : undefined
      // Another Bearer spelling takes the full path; another scheme is not ours: the cookies decide.
      if (BEARER_SCHEME.test(value)) return undefined
    } else {
      const cookie = headers.get('cookie')
      if (cookie === null) continue
      const { session, jwt } = rules.cookieNames
      const start = valueStart(cookie, session, 0)
      return start >= 0 ? onlyValueAt(cookie, session, start) : onlyValueAt(cookie, jwt)
    }
  }
  return undefined
}

/**
 * The value of cookie `name` if it appears exactly once, unparsed (its first occurrence's value
 * starts at `start`, when known); else `undefined`.
 */
function onlyValueAt(
  cookie: string,
  name: string,
  start = valueStart(cookie, name, 0)
): string | undefined {
  if (start < 0 || valueStart(cookie, name, start) >= 0) return undefined
  const end = cookie.indexOf(';', start)
  return cookie.slice(start, end < 0 ? cookie.length : end)
}

/** Where the value of cookie `name` starts in a `Cookie` header, searching from `from`; -1 if absent. */
function valueStart(cookie: string, name: string, from: number): number {
  for (let at = cookie.indexOf(name, from); at >= 0; at = cookie.indexOf(name, at + 1)) {
    const end = at + name.length
    if (cookie.charCodeAt(end) !== 61 /* = */) continue
    let before = at - 1
    while (before >= 0 && (cookie[before] === ' ' || cookie[before] === '\t')) before--
    if (before < 0 || cookie[before] === ';') return end + 1
  }
  return -1
}

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
  let foreign: ExtractionFailure | undefined
  for (const source of rules.tokenFrom) {
    const found =
      source === 'header'
        ? fromHeader(headers)
        : cookiesOf(headers, rules.cookieNames).find((cookie) => cookie !== undefined)
    // An `Authorization` of another scheme (a proxy's Basic) is not ours: the cookies may answer.
    if (found && 'foreign' in found) foreign = found.failure
    else if (found) return found
  }
  return foreign ?? { ok: false, missing: true, message: MISSING_TOKEN_MESSAGE }
}

/**
 * Every well-formed token a request carries where `rules` look, in their order (e.g. to purge both
 * the session token and the session JWT of a browser at logout).
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
  const found = rules.tokenFrom.flatMap((source) =>
    source === 'header' ? [fromHeader(headers)] : cookiesOf(headers, rules.cookieNames)
  )
  return found.filter(
    (token): token is ExtractedToken => token !== undefined && 'ok' in token && token.ok
  )
}

/**
 * Whether a token is a JWT (three base64url segments) or an opaque session token.
 *
 * @example
 * ```ts
 * tokenKindOf('eyJhbGciOi….eyJzdWIiOi….c2ln') // 'session_jwt'
 * ```
 */
export function tokenKindOf(token: string): TokenKind {
  return JWT_SHAPE.test(token) ? 'session_jwt' : 'session_token'
}

/**
 * The `Authorization` header's token, its failure, or (`foreign`) a header of another scheme,
 * whose failure counts only if no cookie carries a token.
 */
function fromHeader(
  headers: Headers
): ExtractedToken | ExtractionFailure | { foreign: true; failure: ExtractionFailure } | undefined {
  const value = headers.get('authorization')
  if (value === null) return undefined
  // BEARER admits ASCII only, so a match's UTF-8 size is its length: no encoding needed.
  const token = value.length <= MAX_BYTES ? BEARER.exec(value)?.[1] : undefined
  if (token) return accepted(token)
  return BEARER_SCHEME.test(value.trimStart())
    ? diagnoseHeader(value)
    : { foreign: true, failure: diagnoseHeader(value) }
}

/** The session cookie and the JWT cookie, each accepted, rejected, or absent (`undefined`). */
function cookiesOf(
  headers: Headers,
  names: CookieNames
): (ExtractedToken | ExtractionFailure | undefined)[] {
  const cookie = headers.get('cookie')
  if (cookie === null) return []
  return [names.session, names.jwt].map((name) => {
    const values = cookieValues(cookie, name)
    if (values.length === 0) return undefined
    if (values.length > 1)
      return failed(
        `Duplicate ${name} cookie: another site on your domain may have set one; clear this site's cookies and sign in again`
      )
    const problem = problemWith(values[0] ?? '')
    return problem ? failed(`Invalid ${name} cookie: ${problem}`) : accepted(values[0] ?? '')
  })
}

/** Every value of cookie `name`, unquoted and percent-decoded (as browsers and Hono read them). */
function cookieValues(cookie: string, name: string): string[] {
  const values: string[] = []
  for (
    let start = valueStart(cookie, name, 0);
    start >= 0;
    start = valueStart(cookie, name, start)
  ) {
    const end = cookie.indexOf(';', start)
    let value = cookie.slice(start, end < 0 ? cookie.length : end).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    values.push(value.includes('%') ? percentDecoded(value) : value)
  }
  return values
}

function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
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
