import type { Context } from 'hono'
import type { GetConnInfo } from 'hono/conninfo'
import type { CacheStore } from '../cache/cache-store.ts'
import type { AuthError } from '../errors/auth-error.ts'

/**
 * A window as a number of seconds, or a count of a unit: `'30s'`, `'1m'`, `'1h'`, `'1d'`.
 *
 * @example
 * ```ts
 * const hourly: RateLimitWindow = '1h' // the same as 3600
 * ```
 */
export type RateLimitWindow = number | `${number}${'s' | 'm' | 'h' | 'd'}`

/**
 * Options of `rateLimit()`. Only `limit` and `window` are required.
 *
 * @example
 * ```ts
 * const options: RateLimitOptions = { limit: 100, window: '1m', by: 'organization' }
 * app.use('/api/*', stytchAuth(), rateLimit(options))
 * ```
 */
export interface RateLimitOptions {
  /**
   * Units a key may spend per window: a positive whole number, or a function of the request
   * answering one (`planLimit()` reads the organization's plan), where `-1` means not limited and
   * `0` admits nothing.
   */
  readonly limit: number | ((c: Context) => number | Promise<number>)
  /** The window: whole seconds, or `'30s'`, `'1m'`, `'1h'`, `'1d'` (any count of s, m, h or d). */
  readonly window: RateLimitWindow
  /**
   * Whose budget a request spends. `'principal'` (default): the member (a Connected Apps token
   * counts as its member), the machine's client id, the API key's id, the Auth0 user, and for an
   * anonymous request its client IP. `'organization'`: the principal's organization (one budget
   * for all its members and keys), else the principal. `'ip'`: the client IP. A function: its
   * answer is the key, and `undefined` leaves the request unlimited.
   */
  readonly by?:
    | 'principal'
    | 'organization'
    | 'ip'
    | ((c: Context) => string | undefined | Promise<string | undefined>)
  /** Units each request spends (a whole number, default 1; never more than a number `limit`). */
  readonly cost?: number
  /**
   * The policy's name in `RateLimit-Policy` and `RateLimit` and in its keys (default `'default'`):
   * limiters of one name share each key's budget, so give each policy its own.
   */
  readonly name?: string
  /** Start of its keys, `{prefix}:rl:{name}:{digest}` (default: the `stytchAuth()`'s, `ayz_auth`). */
  readonly prefix?: string
  /**
   * Where budgets are kept (a store with `consume`: `redisCache()`, `upstashCache()`,
   * `memoryCache()`). Default: the shared tier of the `stytchAuth()` before it, else the
   * environment's (`STYTCH_CACHE`), else this process.
   */
  readonly store?: CacheStore
  /** Count only requests answered with a status ≥ 400 by what follows (failed logins). */
  readonly skipSuccessful?: boolean
  /**
   * How many proxies in front of the app append the address they saw to `X-Forwarded-For`: the
   * client IP is then that many entries from the right. Default 0: the header is ignored.
   */
  readonly trustedProxies?: number
  /**
   * How to read the connection's address: your adapter's `getConnInfo` (`@hono/node-server/conninfo`,
   * `hono/bun`, `hono/deno`, `hono/cloudflare-workers`, …). Default: read from what Node, Bun, Deno
   * and Cloudflare Workers hand Hono, as those helpers do.
   */
  readonly getConnInfo?: GetConnInfo
  /** Builds the response to a 429 (or another error of the limiter); else the `stytchAuth()` before it answers. */
  readonly onError?: (error: AuthError, c: Context) => Response | Promise<Response>
}
