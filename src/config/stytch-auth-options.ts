import type { Context } from 'hono'
import type { B2BClient } from 'stytch'
import type { ApiKeyStore } from '../api-keys/api-key-store.ts'
import type { CacheStore } from '../cache/cache-store.ts'
import type { AcceptedToken } from '../context/auth-env.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import type { AuthError } from '../errors/auth-error.ts'
import type { LogLevel, Logger } from '../log/logger.ts'
import type { AuthEvent, MeterProviderLike, TracerProviderLike } from '../telemetry/telemetry.ts'
import type { CookieNames, TokenSource } from '../credential/extract-credential.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'

/**
 * Claims a session must carry: names that must be present and not `false`/`null`, or a record of
 * exact values.
 *
 * @example
 * ```ts
 * const admins: ClaimRequirement = ['admin']
 * const billing: ClaimRequirement = { role: 'billing' }
 * ```
 */
export type ClaimRequirement = readonly string[] | Readonly<Record<string, unknown>>

/**
 * Options of `stytchAuth()`. Every setting also has an environment variable (see the README's
 * configuration table); an option given here wins over its variable, field by field.
 *
 * @example
 * ```ts
 * app.use('*', stytchAuth({ optional: true, ttl: 120, logger: pino() }))
 * ```
 */
export interface StytchAuthOptions {
  /** Stytch project id. Env `STYTCH_PROJECT_ID`. */
  readonly projectId?: string
  /** Stytch project secret. Env `STYTCH_SECRET`. */
  readonly secret?: string
  /** `test` or `live`; picks Stytch's API host. Env `STYTCH_ENV`, default from the project id. */
  readonly env?: 'test' | 'live'
  /**
   * Stytch API base URL: a custom domain (`https://…`), or `http://` on a loopback host only (the
   * emulator of `ayz-auth/testing`). Env `STYTCH_BASE_URL`.
   */
  readonly baseUrl?: string
  /**
   * A ready `B2BClient`, used for every call to Stytch instead of the library's own `fetch` calls
   * (bounded by `timeoutMs`, though the SDK cannot be aborted). `projectId` is still needed (and
   * `secret` for a shared cache): the SDK does not expose them.
   */
  readonly client?: B2BClient
  /** Replaces Stytch verification altogether (tests: `testVerifier` of `ayz-auth/testing`). */
  readonly verifier?: SessionVerifier
  /**
   * The shared cache tier. Default from env `STYTCH_CACHE` (`memory`, `redis`, `upstash`, `none`;
   * unset: `redis` when a Redis URL is set, `upstash` when Upstash variables are set, else `memory`).
   */
  readonly cache?: CacheStore | 'memory' | 'redis' | 'upstash' | 'none'
  /**
   * Where the organizations' API keys are kept (`mongoApiKeys()`, `dataApiApiKeys()`,
   * `memoryApiKeys()` or your own); `null` turns them off. Default: the `api_keys` collection of
   * `STYTCH_MONGODB_URI` (or of the Data API), when set.
   */
  readonly apiKeyStore?: ApiKeyStore | null
  /** Where entitlements come from; `null` turns them off. Default from `STYTCH_MONGODB_URI`/`STYTCH_DATA_API_URL`. */
  readonly entitlements?: EntitlementSource | null
  /** Seconds a verified session stays cached (never past its expiry). Env `STYTCH_CACHE_TTL`, default 300. */
  readonly ttl?: number
  /**
   * Seconds an entry lives in the in-process tier in front of Redis/Upstash (or a `CacheStore`).
   * 0 keeps no credential in process: each request reads its session or API key from the shared
   * tier, which `cache` must then be, verifies an access token from itself, and confirms a session
   * JWT past its `exp` with Stytch; records (RBAC policies, organizations, user ids, teams) keep
   * 10 s there. Env `STYTCH_CACHE_L1_TTL`, default 10.
   */
  readonly l1Ttl?: number
  /** Seconds an RBAC policy is used before it is refreshed in the background. Env `STYTCH_POLICY_TTL`, default 300. */
  readonly policyTtl?: number
  /** Seconds a policy may be served while Stytch is unreachable. Env `STYTCH_POLICY_MAX_STALE`, default 3600. */
  readonly policyMaxStale?: number
  /** Seconds a team lookup is cached; 0 (default) reads it fresh on every request. */
  readonly teamTtl?: number
  /** Cache key prefix. Env `STYTCH_CACHE_PREFIX`, default `ayz_auth`. */
  readonly prefix?: string
  /**
   * Which credentials the route accepts: `session` (a member's session token or session JWT),
   * `m2m` (Stytch M2M access tokens), `oauth` (Stytch Connected Apps access tokens), `api_key`
   * (the organization's API keys). Default `['session']`. A credential of another kind is a 401.
   */
  readonly acceptTokens?: readonly Exclude<AcceptedToken, 'user'>[]
  /**
   * The URL of this resource server's OAuth protected resource metadata (RFC 9728), e.g.
   * `https://api.example.com/.well-known/oauth-protected-resource`: every 401 (and 403
   * `insufficient_scope`) then carries `WWW-Authenticate: Bearer resource_metadata="…"`, so MCP
   * clients can discover how to authorize. A function of the request when the public URL varies
   * (several hostnames, a port chosen at start).
   */
  readonly resourceMetadataUrl?: string | ((c: Context) => string)
  /**
   * With a shared tier whose store can lock (Redis, Upstash, `memoryCache()`), a cold session token
   * is verified with Stytch once per fleet: the first instance takes a short lock, the others wait
   * for its entry (up to `timeoutMs`). Default true; `false` lets every instance ask Stytch.
   */
  readonly fleetSingleFlight?: boolean
  /** When true, a missing or invalid token gives `c.var.auth === null` instead of a 401. */
  readonly optional?: boolean
  /** Where to look for a token, in order. Default `['header', 'cookie']`. */
  readonly tokenFrom?: readonly TokenSource[]
  /** Names of Stytch's cookies, if your frontend SDK renamed them. */
  readonly cookieNames?: Partial<CookieNames>
  /** Milliseconds a request may wait for Stytch, retries included. Env `STYTCH_REQUEST_TIMEOUT` (seconds), default 10 s. */
  readonly timeoutMs?: number
  /** Retries of a failed Stytch call (network error, 429, 5xx) within the timeout. Env `STYTCH_MAX_RETRIES`, default 3. */
  readonly maxRetries?: number
  /** Most Stytch verifications per second for uncached tokens (a flood of new tokens waits, then gets 503). Default 100. */
  readonly maxVerificationsPerSecond?: number
  /** Where logs go. Default `console`. */
  readonly logger?: Logger
  /** Env `STYTCH_LOG_LEVEL`, default `INFO`. */
  readonly logLevel?: LogLevel | 'WARN'
  /** Log tokens in clear. Never in production. Env `STYTCH_LOG_SENSITIVE_DATA`, default false. */
  readonly logSensitiveData?: boolean
  /** Custom claims every request must carry (403 `insufficient_permissions` otherwise). */
  readonly requiredClaims?: ClaimRequirement
  /** Factor types every session must hold; `mfa` means two or more distinct factors. */
  readonly requiredFactors?: readonly string[]
  /**
   * OpenTelemetry spans and metrics: `true` uses the global providers, or give your own
   * `{ tracerProvider, meterProvider }`. Needs `@opentelemetry/api` (on Workers, also
   * `import 'ayz-auth/opentelemetry'`). Off by default: then nothing of it runs on a request.
   */
  readonly telemetry?:
    | boolean
    | { readonly tracerProvider?: TracerProviderLike; readonly meterProvider?: MeterProviderLike }
  /** Adds `Server-Timing: auth;dur=…;desc="l1"` to responses, for the browser's devtools. */
  readonly serverTiming?: boolean
  /** Receives each decision as a plain object (audit logs without OpenTelemetry). Never a token. */
  readonly onEvent?: (event: AuthEvent) => void
  /** Builds the response for an authentication error instead of the default JSON body. */
  readonly onError?: (error: AuthError, c: Context) => Response | Promise<Response>
}
