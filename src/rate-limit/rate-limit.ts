import type { Context, MiddlewareHandler, Next } from 'hono'
import * as v from 'valibot'
import { digestOf, syncDigestOf } from '../cache/digest.ts'
import type { Principal } from '../context/auth-env.ts'
import { UNLIMITED } from '../entitlements/within-limit.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import { leveledLogger, type Logger } from '../log/logger.ts'
import { bindingOf } from '../middleware/authenticate.ts'
import { answering } from '../middleware/route.ts'
import { defaultHolder } from '../runtime/runtime-holder.ts'
import type { Runtime } from '../runtime/runtime.ts'
import { BlockedKeys } from './blocked-keys.ts'
import { clientIp, type ClientIpRules } from './client-ip.ts'
import { emissionIntervalUs } from './emission-interval.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import { rateLimitFields } from './rate-limit-headers.ts'
import type { RateLimitOptions } from './rate-limit-options.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'
import { RateLimitedError } from './rate-limited-error.ts'
import { rateLimitsOn, type Decided, type RateLimits } from './rate-limits-on.ts'

/** The keys' prefix when neither the limiter nor a runtime names one (the library's default). */
const DEFAULT_PREFIX = 'ayz_auth'
/** Blocked keys a limiter remembers at most. */
const BLOCKED_KEYS = 10_000
/** Seconds in a window unit. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const
/** Logs where no runtime gives a logger. */
const CONSOLE_LOGGER = leveledLogger(console, 'INFO')
/** Identities whose key is remembered at most (then they are forgotten at once, and recomputed). */
const IDENTITY_KEYS = 10_000
/** Whether a limiter said the environment's settings are not usable: one WARN per process. */
let environmentReported = false

/** A whole number of at least `minimum`, else `message`. */
const wholeNumber = (minimum: number, message: string) =>
  v.pipe(v.number(message), v.safeInteger(message), v.minValue(minimum, message))
/** What a wrong `limit` and a wrong `window` are told. */
const LIMIT = 'must be a positive whole number, or a function of the request (e.g. planLimit())'
const WINDOW =
  "must be a positive whole number of seconds, or a count of s, m, h or d ('30s', '1m', '1h', '1d')"
/** The options `rateLimit()` takes, and nothing else (a misspelt option fails too). */
const OPTIONS = v.strictObject({
  limit: v.union([wholeNumber(1, LIMIT), v.function(LIMIT)], LIMIT),
  window: v.union(
    [wholeNumber(1, WINDOW), v.pipe(v.string(WINDOW), v.regex(/^[1-9]\d*[smhd]$/, WINDOW))],
    WINDOW
  ),
  by: v.optional(
    v.union(
      [v.picklist(['principal', 'organization', 'ip']), v.function()],
      "must be 'principal', 'organization', 'ip', or a function of the request"
    )
  ),
  cost: v.optional(wholeNumber(0, 'must be a whole number ≥ 0')),
  name: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _ . or -')
    )
  ),
  prefix: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _ . or -')
    )
  ),
  store: v.optional(
    v.custom<NonNullable<RateLimitOptions['store']>>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { consume?: unknown }).consume === 'function',
      'must be a store that can decide rate limits (consume): redisCache(), upstashCache(), memoryCache()'
    )
  ),
  skipSuccessful: v.optional(v.boolean('must be true or false')),
  trustedProxies: v.optional(wholeNumber(0, 'must be a whole number ≥ 0')),
  getConnInfo: v.optional(v.function('must be a function (your adapter’s getConnInfo)')),
  onError: v.optional(v.function('must be a function')),
})

/** A limiter's options, checked. */
interface Settings {
  readonly limit: RateLimitOptions['limit']
  readonly windowSeconds: number
  readonly by: NonNullable<RateLimitOptions['by']>
  readonly cost: number
  readonly name: string
  readonly prefix: string | undefined
  readonly store: RateLimitOptions['store']
  readonly skipSuccessful: boolean
  readonly ip: ClientIpRules
  readonly onError: RateLimitOptions['onError']
}

/** What one request is to spend, and from which budget. */
interface Charge {
  /** `{prefix}:rl:{name}:{digest}`. */
  readonly key: string
  /** The digest of the identity (hex SHA-256). */
  readonly digest: string
  readonly request: RateLimitRequest
  /** The runtime whose store, telemetry and logger apply, if any. */
  readonly runtime: Runtime | undefined
}

/**
 * Limits how often a key (a principal, an organization, an IP, or your own) may be served: `limit`
 * units per `window`, each request spending `cost` (1). Every response it applies to carries
 * `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`
 * (draft-ietf-httpapi-ratelimit-headers-10); a refused request is a 429 {@link RateLimitedError}
 * with `Retry-After`, answered by `onError`, else by the `stytchAuth()` before it (its `onError`),
 * else thrown to `app.onError`.
 *
 * The decision is GCRA: a fresh key may spend its whole limit at once, then gets a unit back every
 * `window / limit`; a burst of `limit` concurrent requests gets exactly `limit` admissions across
 * every instance sharing the store (one atomic script per decision on Redis, a Redis Cluster and
 * Upstash). A key known to be blocked is refused from process memory until it may pass. When the
 * store is down (throws, or hangs past its timeout), each instance limits in process (one WARN
 * `rate limit degraded`), never failing open and never answering 5xx or 401.
 *
 * Options are checked here: a wrong one throws a {@link ConfigurationError} at startup. A request
 * whose client IP is needed (`by: 'ip'`, or an anonymous request by principal) and cannot be known
 * on this runtime answers a JSON 500 `configuration_error` that says to pass `getConnInfo` or
 * `trustedProxies` (logged once): never a shared bucket for every unknown client.
 *
 * @example
 * ```ts
 * app.use('/api/*', stytchAuth(), rateLimit({ limit: 100, window: 60 }))
 * app.use('/api/*', rateLimit({ by: 'organization', window: '1m', limit: planLimit('api_requests_per_minute', 60) }))
 * app.post('/login', rateLimit({ by: 'ip', limit: 10, window: 60, name: 'login', trustedProxies: 1 }))
 * ```
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const settings = settingsOf(options)
  const { name, windowSeconds } = settings
  const blocked = new BlockedKeys(BLOCKED_KEYS)
  const reported = new Set<string>()
  // The keys of recent identities (a hash and a key built per request would be most of a decision
  // in process), each with the prefix it was built under.
  const identityKeys = new Map<
    string,
    { readonly prefix: string; readonly key: string; readonly digest: string }
  >()
  // The request of a fixed limit, built once.
  const fixedRequest =
    typeof settings.limit === 'number'
      ? { limit: settings.limit, windowMs: windowSeconds * 1000, cost: settings.cost }
      : undefined
  // The environment's runtime, for a limiter with no stytchAuth() before it and no store.
  let environment: Promise<Runtime | undefined> | undefined

  /** A configuration problem found on a request: logged once, answered as a JSON 500. */
  const misconfigured = (logger: Logger, message: string) => {
    if (!reported.has(message) && reported.size < 100) {
      reported.add(message)
      logger.error(`configuration error: ${message}`)
    }
    return new ConfigurationError(message)
  }

  /** The runtime of the request: its stytchAuth()'s, else the environment's. */
  const runtimeOf = (c: Context): Runtime | undefined | Promise<Runtime | undefined> => {
    const runtime = bindingOf(c)?.runtime ?? defaultHolder().ready?.runtime
    if (runtime || settings.store) return runtime
    return (environment ??= defaultHolder()
      .get(c, true)
      .then(
        ({ runtime: built }) => built,
        (error: unknown) => {
          if (environmentReported) return undefined
          environmentReported = true
          CONSOLE_LOGGER.warn(
            `rateLimit: no stytchAuth() before it and the environment's settings are not usable (${error instanceof Error ? error.message : String(error)}); such limits are kept in this process`
          )
          return undefined
        }
      ))
  }

  /** Whose budget the request spends (`undefined`: not limited). */
  const identityOf = (
    c: Context,
    logger: Logger
  ): string | undefined | Promise<string | undefined> => {
    const { by } = settings
    if (typeof by === 'function') {
      const keyed = (value: unknown) => {
        if (value === undefined) return undefined
        if (typeof value === 'string' && value !== '') return `key:${value}`
        throw misconfigured(
          logger,
          `rateLimit '${name}': by(c) answered ${value === '' ? 'an empty string' : typeof value}: answer a non-empty string, or undefined to leave the request unlimited`
        )
      }
      const value = by(c)
      return value instanceof Promise ? value.then(keyed) : keyed(value)
    }
    const auth = by === 'ip' ? undefined : (c.get('auth') as Principal | null | undefined)
    if (auth) return by === 'organization' ? organizationOf(auth) : principalOf(auth)
    const ip = clientIp(c, settings.ip)
    if (ip === undefined)
      throw misconfigured(
        logger,
        `rateLimit '${name}': the client's IP address cannot be known here (this runtime gives no connection address): pass getConnInfo (your adapter's, e.g. from '@hono/node-server/conninfo') or trustedProxies`
      )
    return `ip:${ip}`
  }

  /** The limit for this request: a whole number ≥ 0, or -1 (not limited). */
  const limitOf = (c: Context, logger: Logger): number | Promise<number> => {
    const { limit } = settings
    if (typeof limit === 'number') return limit
    const checked = (value: unknown): number => {
      if (value === UNLIMITED || value === 0) return value
      if (Number.isSafeInteger(value) && (value as number) > 0) {
        const request = { limit: value as number, windowMs: windowSeconds * 1000, cost: 1 }
        try {
          emissionIntervalUs(request)
          return request.limit
        } catch (error) {
          throw misconfigured(logger, `rateLimit '${name}': ${(error as Error).message}`)
        }
      }
      throw misconfigured(
        logger,
        `rateLimit '${name}': limit(c) answered ${String(value)}: answer a whole number ≥ 0, or -1 for not limited`
      )
    }
    const value = limit(c)
    return value instanceof Promise ? value.then(checked) : checked(value)
  }

  /** The request's charge, once its runtime, identity and limit are known. */
  const charged = (
    runtime: Runtime | undefined,
    identity: string | undefined,
    limit: number
  ): Charge | undefined | Promise<Charge> => {
    if (identity === undefined || limit === UNLIMITED) return undefined
    const prefix = settings.prefix ?? runtime?.config.prefix ?? DEFAULT_PREFIX
    const request = fixedRequest ?? { limit, windowMs: windowSeconds * 1000, cost: settings.cost }
    const known = identityKeys.get(identity)
    if (known?.prefix === prefix) return { key: known.key, digest: known.digest, request, runtime }
    const remembered = (digest: string) => {
      const key = `${prefix}:rl:${name}:${digest}`
      if (identityKeys.size >= IDENTITY_KEYS) identityKeys.clear()
      identityKeys.set(identity, { prefix, key, digest })
      return { key, digest, request, runtime }
    }
    return syncDigestOf ? remembered(syncDigestOf(identity)) : digestOf(identity).then(remembered)
  }

  /** The charge of `c`: synchronously when every part is at hand (the usual case). */
  const chargeOf = (c: Context): Charge | undefined | Promise<Charge | undefined> => {
    const runtime = runtimeOf(c)
    if (runtime instanceof Promise) return runtime.then((built) => chargeWith(c, built))
    return chargeWith(c, runtime)
  }
  const chargeWith = (
    c: Context,
    runtime: Runtime | undefined
  ): Charge | undefined | Promise<Charge | undefined> => {
    const logger = runtime?.logger ?? CONSOLE_LOGGER
    const identity = identityOf(c, logger)
    if (identity === undefined) return undefined
    const limit = limitOf(c, logger)
    if (identity instanceof Promise || limit instanceof Promise)
      return Promise.all([identity, limit]).then(([known, value]) => charged(runtime, known, value))
    return charged(runtime, identity, limit)
  }

  /** Answers `error` through `onError`, else the stytchAuth() before it; else throws it on. */
  const answer = async (c: Context, error: unknown): Promise<Response> => {
    const respond = settings.onError
      ? answering({ onError: settings.onError })
      : bindingOf(c)?.route.answer
    if (!respond) throw error
    const response = await respond(c, error)
    return error instanceof RateLimitedError ? withFieldsOf(error, response) : response
  }

  /** A 429 for `decision`, reported. */
  const refuse = (
    c: Context,
    charge: Charge,
    decision: RateLimitDecision,
    degraded: boolean
  ): Promise<Response> => {
    const { limit, cost } = charge.request
    const resetSeconds = limit === 0 ? undefined : Math.ceil(decision.resetMs / 1000)
    const retryAfterSeconds = Number.isFinite(decision.retryAfterMs)
      ? Math.max(1, Math.ceil(decision.retryAfterMs / 1000), resetSeconds ?? 0)
      : null
    charge.runtime?.telemetry?.rateLimitDecided(degraded ? 'degraded' : 'limited', name, {
      key: charge.digest.slice(0, 8),
      limit,
      windowSeconds,
      retryAfterSeconds,
      degraded,
    })
    const error = new RateLimitedError({
      name,
      limit,
      windowSeconds,
      remaining: decision.remaining,
      resetSeconds,
      retryAfterSeconds,
      cost,
    })
    return answer(c, error)
  }

  /** Serves an admitted request, then says what is left (giving units back with `skipSuccessful`). */
  const admit = (
    c: Context,
    next: Next,
    charge: Charge,
    limits: RateLimits,
    { decision, degraded }: Decided
  ): Promise<Response | void> => {
    charge.runtime?.telemetry?.rateLimitDecided(degraded ? 'degraded' : 'allowed', name)
    const fields = (state: RateLimitDecision) =>
      rateLimitFields({
        name,
        limit: charge.request.limit,
        windowSeconds,
        remaining: state.remaining,
        resetSeconds: Math.ceil(state.resetMs / 1000),
      })
    if (!settings.skipSuccessful || charge.request.cost === 0) {
      // Added before the handler, the fields go into the response it builds with `c.json()` & co.;
      // one it builds otherwise (`new Response()`, `onError`) gets them after.
      const known = fields(decision)
      for (const field in known)
        c.header(field, known[field as keyof typeof known], { append: true })
      return next().then(() => {
        const policies = c.res.headers.get('ratelimit-policy')
        if (!policies?.includes(known['ratelimit-policy'])) appendFields(c, known)
      })
    }
    return next().then(async () => {
      if (c.res.status >= 400) return appendFields(c, fields(decision))
      const { key, request } = charge
      const refunded = await limits.refund(key, { ...request, cost: -request.cost }, degraded)
      blocked.clear(key)
      appendFields(c, fields(refunded ?? decision))
    })
  }

  /** Decides a charged request: from memory when its key is blocked, else from its store. */
  const enforce = (c: Context, next: Next, charge: Charge): Promise<Response | void> => {
    const { key, request, runtime } = charge
    if (request.limit === 0) return refuse(c, charge, NEVER, false)
    const replayed = blocked.replay(key)
    if (replayed) return refuse(c, charge, replayed, false)
    const logger = runtime?.logger ?? CONSOLE_LOGGER
    const limits = rateLimitsOn(settings.store ?? runtime?.store, runtime?.shared, logger)
    const settle = (decided: Decided) => {
      if (decided.decision.allowed) return admit(c, next, charge, limits, decided)
      blocked.block(key, decided.decision)
      return refuse(c, charge, decided.decision, decided.degraded)
    }
    const decided = limits.consume(key, request, logger)
    return decided instanceof Promise ? decided.then(settle) : settle(decided)
  }

  return function rateLimit(c, next) {
    let charge: Charge | undefined | Promise<Charge | undefined>
    try {
      charge = chargeOf(c)
    } catch (error) {
      return answer(c, error)
    }
    if (charge === undefined) return next()
    if (charge instanceof Promise)
      return charge.then(
        (known) => (known ? enforce(c, next, known) : next()),
        (error: unknown) => answer(c, error)
      )
    return enforce(c, next, charge)
  }
}

/** The decision of a request no budget can ever admit (a limit of 0). */
const NEVER: RateLimitDecision = {
  allowed: false,
  remaining: 0,
  resetMs: 0,
  retryAfterMs: Infinity,
}

/** The principal's own budget: the member (an app acting for one counts as it), machine, key, user. */
function principalOf(auth: Principal): string {
  switch (auth.kind) {
    case 'member':
    case 'oauth':
      return `member:${auth.memberId}`
    case 'machine':
      return `machine:${auth.clientId}`
    case 'api_key':
      return `api_key:${auth.keyId}`
    case 'user':
      return `user:${auth.userId}`
  }
}

/** The principal's organization's budget, else (a machine, a user of no organization) its own. */
function organizationOf(auth: Principal): string {
  const organizationId = auth.kind === 'machine' ? null : auth.organizationId
  return organizationId ? `organization:${organizationId}` : principalOf(auth)
}

/**
 * Adds a limiter's policy to the response's rate-limit fields, beside those of the other limiters
 * of the route (copied first when its headers are immutable).
 */
function appendFields(c: Context, fields: Readonly<Record<string, string>>): void {
  let headers = c.res.headers
  try {
    for (const [field, value] of Object.entries(fields)) headers.append(field, value)
  } catch {
    c.res = new Response(c.res.body, c.res)
    headers = c.res.headers
    for (const [field, value] of Object.entries(fields)) headers.append(field, value)
  }
}

/** `response` (from `onError`) with the 429's rate-limit fields it lacks. */
function withFieldsOf(error: RateLimitedError, response: Response): Response {
  const missing = Object.entries(error.headers).filter(([field, value]) =>
    field.startsWith('ratelimit')
      ? !response.headers.get(field)?.includes(value)
      : field === 'retry-after' && response.status === 429 && !response.headers.has(field)
  )
  if (missing.length === 0) return response
  const copy = new Response(response.body, response)
  for (const [field, value] of missing) copy.headers.append(field, value)
  return copy
}

/** `options` checked: a {@link ConfigurationError} naming every wrong option. */
function settingsOf(options: RateLimitOptions): Settings {
  const parsed = v.safeParse(OPTIONS, options)
  if (!parsed.success)
    throw new ConfigurationError(
      `Invalid rateLimit() options: ${parsed.issues
        .map((issue) => `option ${v.getDotPath(issue) ?? '?'}: ${issue.message}`)
        .join('; ')}`
    )
  const { window, cost = 1, name = 'default' } = parsed.output
  // valibot's output types a function as (...args: unknown[]) => unknown: functions are read as given.
  const { limit } = options
  const windowSeconds =
    typeof window === 'number'
      ? window
      : Number(window.slice(0, -1)) * UNIT_SECONDS[window.slice(-1) as keyof typeof UNIT_SECONDS]
  if (typeof limit === 'number' && cost > limit)
    throw new ConfigurationError(
      `Invalid rateLimit() options: cost ${cost} exceeds limit ${limit}: no request could ever pass`
    )
  // A limit no store could decide never reaches one (a function's limits are checked as answered).
  try {
    emissionIntervalUs({
      limit: typeof limit === 'number' ? limit : 1,
      windowMs: windowSeconds * 1000,
      cost,
    })
  } catch (error) {
    throw new ConfigurationError(`Invalid rateLimit() options: ${(error as Error).message}`)
  }
  return {
    limit,
    windowSeconds,
    by: options.by ?? 'principal',
    cost,
    name,
    prefix: options.prefix,
    store: options.store,
    skipSuccessful: options.skipSuccessful === true,
    ip: { trustedProxies: options.trustedProxies ?? 0, getConnInfo: options.getConnInfo },
    onError: options.onError,
  }
}
