/**
 * @module
 * Everything a request needs, assembled once from options and environment and shared: every
 * `stytchAuth()` and guard with the same settings in one process (or isolate) uses one runtime,
 * so they share caches, in-flight verifications and the Stytch client.
 */
import type { Context } from 'hono'
import type { CacheStore } from '../cache/cache-store.ts'
import { MemoryCache } from '../cache/memory-cache.ts'
import { hmacSealer } from '../cache/seal.ts'
import { SessionCache } from '../cache/session-cache.ts'
import { sharedTierHealth } from '../cache/shared-tier-health.ts'
import { TieredCache, type Codec } from '../cache/tiered-cache.ts'
import { readEnv } from '../config/read-env.ts'
import { resolveConfig, STYTCH_HOSTS, type ResolvedConfig } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import { sessionCodec } from '../context/session-codec.ts'
import { EntitlementLoader } from '../entitlements/entitlement-loader.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import { memberCodec, organizationCodec, userIdCodec } from '../entitlements/record-codecs.ts'
import { ConfigurationError } from '../errors/configuration-error.ts'
import { leveledLogger, type Logger } from '../log/logger.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'
import { stytchVerifier } from '../verify/stytch-verifier.ts'
import { VerificationLimiter } from '../verify/verification-limiter.ts'
import { cacheBackend, entitlementBackend } from './backends.ts'
import { clientDetails, createStytchClient } from './stytch-client.ts'

/** The assembled parts of the library for one configuration. */
export interface AuthRuntime {
  readonly config: ResolvedConfig
  readonly logger: Logger
  readonly verifier: SessionVerifier
  readonly sessions: SessionCache
  /** Absent when no entitlement source is configured. */
  readonly entitlements: EntitlementLoader | undefined
}

/** Longest a shared-cache operation may take before it counts as a miss. */
const SHARED_TIER_TIMEOUT_MS = 1000
/** Longest a request waits for a verification slot when Stytch calls are rate limited. */
const MAX_LIMITER_WAIT_MS = 2000

const runtimes = new Map<string, Promise<AuthRuntime>>()
const defaultMemory = new Map<string, MemoryCache>()

/**
 * The runtime for `options` and the request's environment, built on first use and shared.
 *
 * @example
 * ```ts
 * const runtime = await authRuntime({}, c)
 * ```
 */
export function authRuntime(options: StytchAuthOptions, c?: Context): Promise<AuthRuntime> {
  const config = resolveConfig(options, readEnv(c))
  const key = fingerprint(options, config)
  let runtime = runtimes.get(key)
  if (!runtime) {
    runtime = buildRuntime(options, config)
    runtimes.set(key, runtime)
    runtime.catch(() => runtimes.delete(key))
  }
  return runtime
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
  const verifier =
    options.verifier ?? defaultVerifier(options, config, { projectId, secret, baseUrl }, logger)

  const caching = config.cache !== 'none'
  const l1 =
    options.cache instanceof MemoryCache
      ? options.cache
      : memoryFor(`${projectId}|${config.prefix}`)
  const store = await sharedStore(options, config)
  const l2 = store && {
    store,
    timeoutMs: SHARED_TIER_TIMEOUT_MS,
    sealer: hmacSealer(
      required(
        secret,
        'a shared cache seals its entries with the project secret: set STYTCH_SECRET or pass `secret`'
      )
    ),
  }
  const health = sharedTierHealth(
    logger,
    typeof options.cache === 'object' ? 'cache' : config.cache
  )
  const tier = <T>(codec: Codec<T>): TieredCache<T> =>
    new TieredCache({
      l1,
      ...(l2 ? { l2 } : {}),
      l1TtlMs: config.l1TtlSeconds * 1000,
      codec,
      ...health,
    })

  const sessions = new SessionCache({
    tier: tier(sessionCodec),
    verifier,
    prefix: config.prefix,
    ttlMs: caching ? config.ttlSeconds * 1000 : 0,
    logger,
    logSensitiveData: config.logSensitiveData,
  })
  const source = await entitlementSource(options, config)
  const entitlements =
    source &&
    new EntitlementLoader({
      source,
      organizations: tier(organizationCodec),
      userIds: tier(userIdCodec),
      ...(config.teamTtlSeconds > 0
        ? { members: { cache: tier(memberCodec), ttlMs: config.teamTtlSeconds * 1000 } }
        : {}),
      prefix: config.prefix,
      logger,
    })
  return { config, logger, verifier, sessions, entitlements }
}

function defaultVerifier(
  options: StytchAuthOptions,
  config: ResolvedConfig,
  project: { projectId: string | undefined; secret: string | undefined; baseUrl: string },
  logger: Logger
): SessionVerifier {
  const projectId = required(
    project.projectId,
    'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()'
  )
  const client =
    options.client ??
    createStytchClient({
      projectId,
      secret: required(
        project.secret,
        'STYTCH_SECRET is not set: set it or pass `secret` to stytchAuth()'
      ),
      baseUrl: project.baseUrl,
    })
  return stytchVerifier({
    client,
    projectId,
    baseUrl: project.baseUrl,
    policy: { timeoutMs: config.timeoutMs, maxRetries: config.maxRetries },
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
  if (typeof options.cache === 'object')
    return options.cache instanceof MemoryCache ? undefined : options.cache
  if (config.cache === 'redis') {
    required(config.redis, 'STYTCH_CACHE=redis needs STYTCH_REDIS_URL (or REDIS_URL)')
    return (await cacheBackend('redis'))(config)
  }
  if (config.cache === 'upstash') {
    required(
      config.upstash,
      'STYTCH_CACHE=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN'
    )
    return (await cacheBackend('upstash'))(config)
  }
  return undefined
}

async function entitlementSource(
  options: StytchAuthOptions,
  config: ResolvedConfig
): Promise<EntitlementSource | undefined> {
  if (options.entitlements !== undefined) return options.entitlements ?? undefined
  if (config.mongodb) return (await entitlementBackend('mongodb'))(config)
  if (config.dataApi) return (await entitlementBackend('data-api'))(config)
  return undefined
}

/** The process-wide in-process cache of a project, shared by every runtime of that project. */
function memoryFor(project: string): MemoryCache {
  let memory = defaultMemory.get(project)
  if (!memory) defaultMemory.set(project, (memory = new MemoryCache()))
  return memory
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ConfigurationError(message)
  return value
}

const objectIds = new WeakMap<object, number>()
let nextObjectId = 0

/** A key equal for equal settings and the same option objects (client, cache, logger, …). */
function fingerprint(options: StytchAuthOptions, config: ResolvedConfig): string {
  const idOf = (value: unknown): number | null => {
    if (typeof value !== 'object' || value === null) return null
    let id = objectIds.get(value)
    if (id === undefined) objectIds.set(value, (id = ++nextObjectId))
    return id
  }
  return JSON.stringify([
    config,
    idOf(options.client),
    idOf(options.verifier),
    idOf(options.cache),
    idOf(options.entitlements),
    idOf(options.logger),
  ])
}
