/**
 * @module
 * A Redis {@link CacheStore} over ioredis, for apps that run many instances: a session verified by
 * one instance is a cache hit on every other. Importing this module also lets
 * `STYTCH_CACHE=redis` select it by configuration.
 */
import { Redis, type RedisOptions } from 'ioredis'
import type { CacheStore } from '../src/cache/cache-store.ts'
import { CircuitBreaker } from '../src/cache/circuit-breaker.ts'
import { registerCacheBackend } from '../src/runtime/backends.ts'

/** Options of {@link redisCache}. */
export interface RedisCacheOptions {
  /** A ready ioredis client; its own options are left as they are. */
  readonly client?: Redis
  /** `redis://[:password@]host:port[/db]`, when no client is given. */
  readonly url?: string
  readonly password?: string
  readonly db?: number
  /** Milliseconds a command may take before the cache counts as down. Default 250. */
  readonly commandTimeoutMs?: number
  /** Milliseconds Redis is left alone after a failure before one command tries it again. Default 2000. */
  readonly cooldownMs?: number
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250
/** Clients made from URLs, with a promise of their first connection. */
const clients = new Map<string, { client: Redis; connected: Promise<void> }>()

/**
 * A {@link CacheStore} in Redis. Fails fast when Redis is down: commands are bounded by a timeout,
 * nothing queues while disconnected, and a circuit breaker stops asking a dead Redis until it
 * answers again; meanwhile the library keeps serving from process memory and Stytch. Clients made
 * from a URL are shared per process.
 *
 * @example
 * ```ts
 * import { redisCache } from 'ayz-auth/ioredis'
 * app.use('*', stytchAuth({ cache: redisCache(process.env.REDIS_URL!) }))
 * // or pass your own client: redisCache(new Redis(...)), or options: redisCache({ url, db: 2 })
 * ```
 */
export function redisCache(clientOrUrlOrOptions: Redis | string | RedisCacheOptions): CacheStore {
  const options: RedisCacheOptions =
    typeof clientOrUrlOrOptions === 'string'
      ? { url: clientOrUrlOrOptions }
      : clientOrUrlOrOptions instanceof Redis
        ? { client: clientOrUrlOrOptions }
        : clientOrUrlOrOptions
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  const { client, connected } = options.client
    ? { client: options.client, connected: Promise.resolve() }
    : sharedClient(options, timeoutMs)
  const breaker = new CircuitBreaker({
    timeoutMs,
    ...(options.cooldownMs ? { cooldownMs: options.cooldownMs } : {}),
  })
  // Nothing queues while disconnected, so the first commands wait (within the timeout) for the
  // first connection instead of failing while it is being made.
  const command = <T>(send: () => Promise<T>): Promise<T> =>
    breaker.run(async () => {
      await connected
      return send()
    })
  return {
    get: (key) => command(() => client.get(key)),
    set: (key, value, ttlSeconds) =>
      command(async () => {
        await client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlSeconds * 1000)))
      }),
    delete: (key) =>
      command(async () => {
        await client.del(key)
      }),
  }
}

/** One fail-fast client per URL, password and database in the process. */
function sharedClient(
  options: RedisCacheOptions,
  timeoutMs: number
): { client: Redis; connected: Promise<void> } {
  if (!options.url) throw new TypeError('redisCache() needs a client, a URL, or options with a url')
  const key = JSON.stringify([options.url, options.password ?? null, options.db ?? null])
  let shared = clients.get(key)
  if (!shared) {
    const failFast: RedisOptions = {
      commandTimeout: timeoutMs,
      connectTimeout: 2000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      ...(options.password ? { password: options.password } : {}),
      ...(options.db !== undefined ? { db: options.db } : {}),
    }
    const client = new Redis(options.url, failFast)
    // Failures surface on commands (and in the library's "cache degraded" log), not as crashes.
    client.on('error', () => {})
    const connected = new Promise<void>((resolve) => client.once('ready', () => resolve()))
    shared = { client, connected }
    clients.set(key, shared)
  }
  return shared
}

registerCacheBackend('redis', (config) => {
  const redis = config.redis
  if (!redis) throw new TypeError('no Redis URL configured')
  return redisCache({
    url: redis.url,
    db: redis.db,
    ...(redis.password ? { password: redis.password } : {}),
  })
})
