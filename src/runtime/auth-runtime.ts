/**
 * @module
 * Everything a request needs, assembled once from options and environment and shared: every
 * `stytchAuth()` and guard with the same settings in one process (or isolate) uses one runtime,
 * and every runtime of one project shares the in-process tiers, so a guard and the middleware
 * never disagree. {@link closeAuth} closes what the runtimes opened.
 */
import type { Context } from 'hono'
import type { B2BClient } from 'stytch'
import { CachedPolicySchema, type Policy } from '../authorization/policy.ts'
import { PolicyStore } from '../authorization/policy-store.ts'
import type * as v from 'valibot'
import type { CacheStore } from '../cache/cache-store.ts'
import { CircuitBreaker } from '../cache/circuit-breaker.ts'
import { hmacSealer } from '../cache/seal.ts'
import { LocalTier } from '../cache/local-tier.ts'
import { TieredCache, type SharedTier } from '../cache/tiered-cache.ts'
import { readEnv } from '../config/read-env.ts'
import { resolveConfig, STYTCH_HOSTS, type ResolvedConfig } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import { AuthContext, CachedSessionSchema, sessionFieldsOf } from '../context/auth-context.ts'
import type { Principal } from '../context/auth-env.ts'
import { EntitlementLoader } from '../entitlements/entitlement-loader.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import {
  MemberRecordSchema,
  OrganizationRecordSchema,
  UserIdSchema,
} from '../entitlements/records.ts'
import { ConfigurationError, StytchApiError, TokenVerificationError } from '../errors/auth-error.ts'
import { leveledLogger, type Logger } from '../log/logger.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'
import { Telemetry } from '../telemetry/telemetry.ts'
import type { CallPolicy } from '../verify/call-stytch.ts'
import { stytchVerifier } from '../verify/stytch-verifier.ts'
import { VerificationLimiter } from '../verify/verification-limiter.ts'
import {
  cacheBackend,
  closedByCloseAuth,
  closeOpened,
  entitlementBackend,
  openTelemetryApi,
} from './backends.ts'
import { clientDetails, createStytchClient } from './stytch-client.ts'

/** The assembled parts of the library for one configuration. */
export interface AuthRuntime {
  readonly config: ResolvedConfig
  readonly logger: Logger
  readonly verifier: SessionVerifier
  /**
   * Verified credentials by the SHA-256 of their token: sessions in every tier, access tokens
   * (verified locally, cheaply) in process only.
   */
  readonly sessions: TieredCache<Principal>
  /** Longest a verified session is cached, in ms (0 with `STYTCH_CACHE=none`). */
  readonly sessionTtlMs: number
  /** Absent when no entitlement source is configured. */
  readonly entitlements: EntitlementLoader | undefined
  /** RBAC policies; absent when no Stytch client can be built (a custom `verifier` without credentials). */
  readonly policies: PolicyStore | undefined
  /** Spans, metrics, events and `Server-Timing`; absent (costing nothing) unless enabled. */
  readonly telemetry: Telemetry | undefined
}

/** Longest a request waits for a verification slot when Stytch calls are rate limited. */
const MAX_LIMITER_WAIT_MS = 2000
/** How long a failed policy load is answered 503 from memory before Stytch is asked again. */
const POLICY_RETRY_MS = 5_000
/** How long a token Stytch rejected (or that was revoked) is answered 401 without asking again. */
export const REJECTION_TTL_MS = 10_000
/** Entries of each in-process tier, and of the rejected tokens (kept apart so a flood cannot evict sessions). */
const LOCAL_ENTRIES = 10_000

const runtimes = new Map<string, Promise<AuthRuntime>>()
const localTiers = new Map<string, LocalTier<never>>()
const breakers = new WeakMap<object, CircuitBreaker>()
/** The purge channels each store is listened on (one subscription per store and channel). */
const listening = new WeakMap<CacheStore, Set<string>>()
const reported = new Set<string>()

/**
 * The runtime for `options` and the request's environment, built on first use and shared. A
 * configuration error is logged once (ERROR, naming the variable) and rejects every call with the
 * JSON 500 of {@link ConfigurationError}.
 *
 * @example
 * ```ts
 * const runtime = await authRuntime({}, c)
 * ```
 */
export function authRuntime(options: StytchAuthOptions, c?: Context): Promise<AuthRuntime> {
  let key: string
  let config: ResolvedConfig
  try {
    config = resolveConfig(options, readEnv(c))
    key = fingerprint(options, config)
  } catch (error) {
    return Promise.reject(reportedOnce(error, options))
  }
  let runtime = runtimes.get(key)
  if (!runtime) {
    runtime = buildRuntime(options, config).catch((error: unknown) => {
      runtimes.delete(key)
      throw reportedOnce(error, options)
    })
    runtimes.set(key, runtime)
  }
  return runtime
}

/**
 * Closes everything the library opened in this process: the Redis connections and MongoDB pools
 * it created from the environment or from URLs. Clients you passed in stay open (they are yours).
 * Call it on graceful shutdown; a request after it opens them again.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', async () => {
 *   server.close()
 *   await closeAuth()
 * })
 * ```
 */
export async function closeAuth(): Promise<void> {
  runtimes.clear()
  await closeOpened()
}

async function buildRuntime(
  options: StytchAuthOptions,
  config: ResolvedConfig
): Promise<AuthRuntime> {
  const logger = leveledLogger(options.logger ?? console, config.logLevel)
  const details = options.client ? clientDetails(options.client) : undefined
  const projectId = config.projectId ?? details?.projectId
  const secret = config.secret ?? details?.secret
  const baseUrl = config.baseUrl ?? details?.baseUrl ?? STYTCH_HOSTS[config.stytchEnv]
  const telemetry = await telemetryOf(options, logger)
  const call = { timeoutMs: config.timeoutMs, maxRetries: config.maxRetries, telemetry }
  const client =
    options.client ??
    (projectId && secret ? createStytchClient({ projectId, secret, baseUrl }) : undefined)
  const verifier =
    options.verifier ?? defaultVerifier(call, config, client, projectId, baseUrl, logger)

  const store = await sharedStore(options, config)
  const shared: SharedTier | undefined = store && {
    store,
    breaker: breakerOf(store, 'cache', logger, telemetry),
    telemetry,
    sealer: hmacSealer(
      required(
        secret,
        'a shared cache seals its entries with the project secret: set STYTCH_SECRET or pass `secret` to stytchAuth()'
      )
    ),
  }
  // A custom verifier vouches for its own sessions: its tiers are its own, in process only.
  const ownSessions = options.verifier !== undefined
  const project = `${ownSessions ? `verifier ${idOf(options.verifier)}` : projectId}|${config.prefix}`
  const tier = <T>(name: string, schema: v.GenericSchema<unknown, T>, extra: object = {}) =>
    new TieredCache<T>({
      namespace: `${config.prefix}:${name}`,
      local: localTier(`${project}|${name}`),
      shared,
      localTtlMs: config.l1TtlSeconds * 1000,
      schema,
      ...extra,
    })

  // One Stytch call per cold token per fleet: instances sharing the tier wait for the first.
  const fleet = options.fleetSingleFlight === false ? {} : { fleet: { waitMs: config.timeoutMs } }
  const sessionTtlMs = config.cache === 'none' ? 0 : config.ttlSeconds * 1000
  const sessions = tier<Principal>('session', CachedSessionSchema, {
    ...fleet,
    // The tiers are shared with runtimes of other settings: a session is served as long as ours say.
    maxAgeMs: sessionTtlMs,
    ...(ownSessions ? { shared: undefined } : {}),
    purgeChannel: `${config.prefix}:purge`,
    encode: (auth: Principal) => (auth instanceof AuthContext ? sessionFieldsOf(auth) : null),
    rejections: {
      local: localTier(`${project}|rejected`),
      revoked: localTier(`${project}|revoked`),
      ttlMs: REJECTION_TTL_MS,
      remember: (error: unknown) => error instanceof TokenVerificationError,
      errorOf: () => new TokenVerificationError(),
    },
  })
  if (shared && !ownSessions)
    listenForPurges(shared.store, `${config.prefix}:purge`, sessions, logger)
  const source = await entitlementSource(options, config)
  const entitlements =
    source &&
    new EntitlementLoader({
      source,
      breaker: breakerOf(source, 'entitlements', logger, telemetry),
      telemetry,
      organizations: tier('org', OrganizationRecordSchema),
      userIds: tier('user', UserIdSchema),
      ...(config.teamTtlSeconds > 0
        ? {
            members: {
              cache: tier('member', MemberRecordSchema),
              ttlMs: config.teamTtlSeconds * 1000,
            },
          }
        : {}),
      logger,
    })
  const policies =
    client &&
    new PolicyStore({
      client,
      call,
      policies: tier('policy', CachedPolicySchema, {
        ...fleet,
        encode: (policy: Policy) => policy.data,
        rejections: {
          local: localTier(`${project}|policy-failures`),
          ttlMs: POLICY_RETRY_MS,
          remember: (error: unknown) => error instanceof StytchApiError,
          errorOf: () => new StytchApiError(),
        },
      }),
      ttlMs: config.policyTtlSeconds * 1000,
      maxStaleMs: config.policyMaxStaleSeconds * 1000,
      logger,
    })
  return {
    config,
    logger,
    verifier,
    sessions,
    sessionTtlMs,
    entitlements,
    policies,
    telemetry,
  }
}

/** The runtime's telemetry when any of `telemetry`, `onEvent` or `serverTiming` is on. */
async function telemetryOf(
  options: StytchAuthOptions,
  logger: Logger
): Promise<Telemetry | undefined> {
  const { telemetry, onEvent, serverTiming = false } = options
  if (!telemetry && !onEvent && !serverTiming) return undefined
  return new Telemetry({
    ...(telemetry ? { api: await openTelemetryApi() } : {}),
    ...(typeof telemetry === 'object' ? telemetry : {}),
    ...(onEvent ? { onEvent } : {}),
    serverTiming,
    report: (message) => logger.warn(message),
  })
}

function defaultVerifier(
  call: CallPolicy,
  config: ResolvedConfig,
  client: B2BClient | undefined,
  projectId: string | undefined,
  baseUrl: string,
  logger: Logger
): SessionVerifier {
  return stytchVerifier({
    client: required(
      client,
      projectId
        ? 'STYTCH_SECRET is not set: set it or pass `secret` to stytchAuth()'
        : 'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()'
    ),
    projectId: required(
      projectId,
      'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()'
    ),
    baseUrl,
    policy: call,
    logger,
    limit: {
      limiter: new VerificationLimiter(config.maxVerificationsPerSecond),
      maxWaitMs: Math.min(config.timeoutMs, MAX_LIMITER_WAIT_MS),
    },
  })
}

async function sharedStore(
  options: StytchAuthOptions,
  config: ResolvedConfig
): Promise<CacheStore | undefined> {
  if (typeof options.cache === 'object') return options.cache
  if (config.cache !== 'redis' && config.cache !== 'upstash') return undefined
  return (await cacheBackend(config.cache, config))(config)
}

async function entitlementSource(
  options: StytchAuthOptions,
  config: ResolvedConfig
): Promise<EntitlementSource | undefined> {
  if (options.entitlements !== undefined) return options.entitlements ?? undefined
  if (config.mongodb) return (await entitlementBackend('mongodb', config))(config)
  if (config.dataApi) return (await entitlementBackend('data-api', config))(config)
  return undefined
}

/**
 * The one breaker of a backend, shared by every runtime that uses it; it logs the backend going
 * down and coming back once per change, not once per request.
 */
function breakerOf(
  backend: { readonly name?: string; readonly timeoutMs?: number; readonly cooldownMs?: number },
  role: 'cache' | 'entitlements',
  logger: Logger,
  telemetry: Telemetry | undefined
): CircuitBreaker {
  let breaker = breakers.get(backend)
  if (!breaker) {
    const name = backend.name ?? (role === 'cache' ? 'cache' : 'entitlement source')
    const fallback = role === 'cache' ? 'verifying with Stytch' : 'serving cached organizations'
    breaker = new CircuitBreaker({
      timeoutMs: backend.timeoutMs ?? (role === 'cache' ? 1000 : 2000),
      ...(backend.cooldownMs ? { cooldownMs: backend.cooldownMs } : {}),
      onChange(failing, error) {
        telemetry?.breakerChanged(role, name, failing, failing ? describe(error) : undefined)
        if (failing)
          logger.warn(
            `${role} degraded: ${name} unavailable (${describe(error)}); ${fallback} until it returns`
          )
        else logger.info(`${role} recovered: ${name} answers again`)
      },
    })
    breakers.set(backend, breaker)
  }
  return breaker
}

/**
 * Applies the revocations other instances publish (`revokeSession` there) to this process's
 * in-process tier, once per store and channel. A lost subscription is one WARN (revocations from
 * other instances then arrive within `l1Ttl`) and comes back by itself.
 */
function listenForPurges(
  store: CacheStore,
  channel: string,
  sessions: TieredCache<Principal>,
  logger: Logger
): void {
  const listen = store.listen?.bind(store)
  const channels = listening.get(store) ?? new Set<string>()
  if (!listen || channels.has(channel)) return
  listening.set(store, channels.add(channel))
  let lost = false
  const subscription = listen(
    channel,
    (message) => void sessions.applyPurge(message),
    (listening) => {
      if (!listening && !lost)
        logger.warn(
          `revocations from other instances arrive within l1Ttl: the subscription to ${channel} is lost, reconnecting`
        )
      else if (listening && lost)
        logger.info(`revocations from other instances arrive at once again (${channel})`)
      lost = !listening
    }
  )
  closedByCloseAuth({
    close: async () => {
      channels.delete(channel)
      await subscription.stop()
    },
  })
}

/** The in-process tier named `key` (a project, prefix and cached shape), shared by every runtime. */
function localTier<T>(key: string): LocalTier<T> {
  let local = localTiers.get(key)
  if (!local) localTiers.set(key, (local = new LocalTier<never>(LOCAL_ENTRIES)))
  return local as LocalTier<T>
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ConfigurationError(message)
  return value
}

/** Logs a configuration error once per process (ERROR, never a stack trace), and returns it. */
function reportedOnce(error: unknown, options: StytchAuthOptions): unknown {
  if (error instanceof ConfigurationError && !reported.has(error.message)) {
    reported.add(error.message)
    ;(options.logger ?? console).error(`[ayz-auth] configuration error: ${error.message}`)
  }
  return error
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

const objectIds = new WeakMap<object, number>()
let nextObjectId = 0

/** A number naming an object (or function) for as long as it lives; `null` for anything else. */
function idOf(value: unknown): number | null {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return null
  let id = objectIds.get(value)
  if (id === undefined) objectIds.set(value, (id = ++nextObjectId))
  return id
}

/** A key equal for equal settings and the same option objects (client, cache, logger, …). */
function fingerprint(options: StytchAuthOptions, config: ResolvedConfig): string {
  return JSON.stringify([
    config,
    idOf(options.client),
    idOf(options.verifier),
    idOf(options.cache),
    idOf(options.entitlements),
    idOf(options.logger),
    idOf(options.telemetry),
    options.telemetry === true,
    options.serverTiming === true,
    options.fleetSingleFlight === false,
    idOf(options.onEvent),
  ])
}
