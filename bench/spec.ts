/**
 * @module
 * What the orchestrator, the fixtures and the servers under test say to one another: where the
 * dependencies listen, which app a server runs, how a request carries its token, what it answers.
 * Types and pure functions only: every process imports it.
 */

/** Where a request puts its token: `Authorization: Bearer`, or one of Stytch's cookies. */
export type Carrier = 'bearer' | 'session-cookie' | 'jwt-cookie'

/** The cookie of each cookie carrier (the names Stytch's frontend SDKs set). */
export const COOKIE_NAMES = {
  'session-cookie': 'stytch_session',
  'jwt-cookie': 'stytch_session_jwt',
}

/**
 * The header carrying `token`, as a headers object (lower-case name). A cookie sits among others,
 * as a browser sends it, so a middleware has to find it.
 */
export function tokenHeader(carrier: Carrier, token: string): Record<string, string> {
  if (carrier === 'bearer') return { authorization: `Bearer ${token}` }
  return { cookie: `theme=dark; ${COOKIE_NAMES[carrier]}=${token}; _ga=GA1.1.123456789.1700000000` }
}

/** Which pre-made tokens a loaded scenario rotates over. */
export type TokenSet = 'sessions' | 'jwts' | 'm2m' | 'api_keys' | 'auth0'

/** Where the dependencies listen; the member every session belongs to (MongoDB has her team). */
export interface FixtureInfo {
  readonly stytch: { readonly url: string; readonly projectId: string; readonly secret: string }
  readonly redisUrl: string
  readonly upstash: { readonly url: string; readonly token: string }
  readonly mongoUri: string
  readonly member: { readonly memberId: string; readonly organizationId: string }
  /** The Auth0 emulator: its URL (`auth0Auth({ baseUrl })`) and API audience. */
  readonly auth0: { readonly url: string; readonly audience: string }
}

/**
 * Cumulative calls the dependencies received (a measurement's cost is after − before): `/v1`
 * requests of the Stytch emulator, `find` and `aggregate` commands of the MongoDB wire server,
 * `GET`s redis-server ran (the Upstash server's included), requests of the Upstash REST server.
 */
export type Counters = {
  stytchCalls: number
  mongoQueries: number
  redisGets: number
  upstashRequests: number
}

/** Middleware a scenario puts after `stytchAuth()` on the L1 hit route (see `server/ours.ts`). */
export type Extra = 'rate-limit-memory' | 'rate-limit-redis' | 'hono-rate-limiter-redis'

/** The app behind `GET /api/me`. */
export type AppSpec =
  /** No auth; `empty`: one empty async middleware; `otel`: `@hono/otel`'s request span. */
  | { readonly kind: 'baseline'; readonly middleware?: 'empty' | 'otel' }
  | { readonly kind: 'naive' }
  /** `jose.jwtVerify` per request, against Stytch's JWKS or (`auth0`) the Auth0 tenant's. */
  | { readonly kind: 'jwt-per-request'; readonly jwks?: 'auth0' }
  /**
   * A hand-written cache hit, keyed by the token's SHA-256 (`keyedBy: 'token'`: the token itself);
   * then a MongoDB team read, or a Redis read instead of the Map.
   */
  | { readonly kind: 'hand'; readonly read?: 'mongo' | 'redis'; readonly keyedBy?: 'token' }
  | {
      readonly kind: 'ours'
      /** In process only, or Redis/Upstash with the in-process tier turned off. */
      readonly cache: 'memory' | 'redis' | 'upstash'
      /** `load`: entitlements on every request; `require`: plus `requireEntitlement('foresight')`. */
      readonly entitlements: 'none' | 'load' | 'require'
      readonly acceptTokens?: readonly ('session' | 'm2m' | 'api_key')[]
      /** `auth0Auth()` on the Auth0 emulator instead of `stytchAuth()`. */
      readonly provider?: 'auth0'
      /** `telemetry: true, serverTiming: true` with the OpenTelemetry SDK registered globally. */
      readonly telemetry?: boolean
      readonly teamTtl?: number
      readonly extra?: Extra
    }

/** What a server under test starts with (JSON, its first argument). */
export type ServerSpec = {
  app: AppSpec
  fixtures: FixtureInfo
  tokens: TokenSet
}
/** The JSON body `GET /api/me` answers. */
export type MeBody = { readonly member: string | null; readonly team?: string | null }

/**
 * Why a scenario cannot run with this build or these packages: reported, not a failure.
 */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable'
}
