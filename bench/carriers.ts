/**
 * @module
 * How a benchmark request carries its token: `Authorization: Bearer`, or one of Stytch's cookies
 * in a browser-like `Cookie` header. Every sender of the harness (wrk, autocannon, the exact-count
 * client, the sanity check, the L1 ladder) builds its header here, so a scenario and its baseline
 * send byte-for-byte the same requests.
 */

/** Where a request puts its token. */
export type Carrier = 'bearer' | 'session-cookie' | 'jwt-cookie'

/** The cookie each cookie carrier puts the token in (the names Stytch's frontend SDKs set). */
export const COOKIE_NAMES = {
  'session-cookie': 'stytch_session',
  'jwt-cookie': 'stytch_session_jwt',
} as const satisfies Record<Exclude<Carrier, 'bearer'>, string>

/**
 * Short cookies a browser sends with Stytch's, one before and one after it, so a middleware has to
 * find its cookie among others, as it would in production (a theme preference, Google Analytics).
 */
export const OTHER_COOKIES = { before: 'theme=dark', after: '_ga=GA1.1.123456789.1700000000' }

/**
 * The header that carries `token`: its name and value.
 *
 * @example
 * ```ts
 * tokenHeader('session-cookie', token)
 * // ['Cookie', 'theme=dark; stytch_session=<token>; _ga=GA1.1.123456789.1700000000']
 * ```
 */
export function tokenHeader(carrier: Carrier, token: string): readonly [string, string] {
  if (carrier === 'bearer') return ['Authorization', `Bearer ${token}`]
  return [
    'Cookie',
    `${OTHER_COOKIES.before}; ${COOKIE_NAMES[carrier]}=${token}; ${OTHER_COOKIES.after}`,
  ]
}

/**
 * {@link tokenHeader} as a headers object (lower-case name, as Node's `http` sends it).
 *
 * @example
 * ```ts
 * request(url, { headers: tokenHeaders('bearer', token) })
 * ```
 */
export function tokenHeaders(carrier: Carrier, token: string): Record<string, string> {
  const [name, value] = tokenHeader(carrier, token)
  return { [name.toLowerCase()]: value }
}
