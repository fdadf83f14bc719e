/**
 * @module
 * The options of `auth0Auth()`: where the Auth0 tenant is and which API its tokens must be for,
 * plus the caching, entitlement, telemetry, logging and error options of `stytchAuth()`.
 */
import type { StytchAuthOptions } from './stytch-auth-options.ts'

/**
 * A kind of credential an `auth0Auth()` route accepts: Auth0 users' access tokens (`user`), M2M
 * applications' access tokens (`m2m`), and the organization's API keys (`api_key`).
 *
 * @example
 * ```ts
 * const machinesOnly: readonly Auth0AcceptedToken[] = ['m2m']
 * ```
 */
export type Auth0AcceptedToken = 'user' | 'm2m' | 'api_key'

/** The options `auth0Auth()` shares with `stytchAuth()`, with the same meaning and variables. */
type SharedOptions = Pick<
  StytchAuthOptions,
  | 'cache'
  | 'entitlements'
  | 'l1Ttl'
  | 'teamTtl'
  | 'prefix'
  | 'optional'
  | 'timeoutMs'
  | 'logger'
  | 'logLevel'
  | 'logSensitiveData'
  | 'telemetry'
  | 'serverTiming'
  | 'onEvent'
  | 'onError'
  | 'resourceMetadataUrl'
>

/**
 * Options of `auth0Auth()`. Each Auth0 setting also has an environment variable; an option given
 * here wins over it. The shared settings (`cache`, `entitlements`, `l1Ttl`, `prefix`, `logLevel`,
 * …) read the same variables as for `stytchAuth()` (`STYTCH_CACHE`, `REDIS_URL`,
 * `STYTCH_MONGODB_URI`, …; see the README's configuration table). `timeoutMs` bounds a JWKS fetch
 * (at most 5 s).
 *
 * @example
 * ```ts
 * app.use('/api/*', auth0Auth({ domain: 'tenant.auth0.com', audience: 'https://api.example.com' }))
 * ```
 */
export interface Auth0AuthOptions extends SharedOptions {
  /**
   * The tenant's domain, e.g. `tenant.auth0.com` or a custom domain (`https://` and a trailing
   * slash are dropped). The issuer is then `https://{domain}/` and the keys
   * `https://{domain}/.well-known/jwks.json`. Env `AUTH0_DOMAIN`.
   */
  readonly domain?: string
  /** The API identifier every token's `aud` must hold. Env `AUTH0_API_AUDIENCE`. */
  readonly audience?: string
  /**
   * The signing algorithms accepted, asymmetric only (`HS*` and `none` are a configuration
   * error). Env `AUTH0_ALGORITHMS` (comma-separated), default `RS256`.
   */
  readonly algorithms?: readonly string[]
  /** The exact `iss`, when it is not `https://{domain}/` (or `{baseUrl}/`). */
  readonly issuer?: string
  /**
   * The tenant's URL instead of `https://{domain}`: `https://…`, or `http://` on a loopback host
   * only (the Auth0 emulator of `ayz-auth/testing`). The issuer is `{baseUrl}/`. Env
   * `AUTH0_BASE_URL`.
   */
  readonly baseUrl?: string
  /**
   * The secret that seals entries of the shared cache tier (Redis, Upstash): every instance
   * shares it, the cache never sees it. Needed only with a shared tier. Env `AUTH0_CACHE_SECRET`.
   */
  readonly secret?: string
  /**
   * Which credentials the route accepts: `user` (users' access tokens), `m2m` (M2M applications'
   * access tokens), `api_key` (the organization's API keys). Default `['user', 'm2m']`. A
   * credential of another kind is a 401.
   */
  readonly acceptTokens?: readonly Auth0AcceptedToken[]
}
