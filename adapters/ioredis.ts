/**
 * @module
 * A Redis {@link CacheStore} over ioredis, for apps that run many instances: a session verified by
 * one instance is a cache hit on every other. Importing this module also lets `STYTCH_REDIS_URL`
 * (or `STYTCH_CACHE=redis`) select it by configuration.
 */
import { Redis } from 'ioredis'
import type { CacheStore } from '../src/cache/cache-store.ts'
import { closedByCloseAuth, registerCacheBackend } from '../src/runtime/backends.ts'

/**
 * The commands the store sends, as every ioredis client has them: a `Redis`, a `Cluster`, or one
 * made by another copy or major version of ioredis.
 */
export interface RedisClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>
  del(...keys: string[]): Promise<number>
}

/** Options of {@link redisCache}. */
export interface RedisCacheOptions {
  /** A ready ioredis client (`Redis` or `Cluster`); its own options are left as they are. */
  readonly client?: RedisClient
  /** `redis://[:password@]host:port[/db]` (or `rediss://`), when no client is given. */
  readonly url?: string
  readonly password?: string
  readonly db?: number
  /** Milliseconds a command may take before the cache counts as down. Default 250. */
  readonly commandTimeoutMs?: number
  /** Milliseconds Redis is left alone after a failure before one command tries it again. Default 2000. */
  readonly cooldownMs?: number
}

/** A client this module created from a URL: connected on demand, idle without holding the process. */
interface OwnClient {
  readonly client: Redis
  readonly location: string
  /** Resolves once the client is ready, connecting it (again) if needed. */
  ready(): Promise<void>
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250
const clients = new Map<string, OwnClient>()

/**
 * A {@link CacheStore} in Redis. Fails fast when Redis is down: nothing queues while disconnected,
 * and the library bounds every command by `commandTimeoutMs` and stops asking a failed Redis for
 * `cooldownMs`; meanwhile it keeps serving from process memory and Stytch. A client made from a URL
 * is shared per process, connects on first use (and again after an outage), never keeps an idle
 * script from exiting, and is closed by `closeAuth()`.
 *
 * @example
 * ```ts
 * import { redisCache } from 'ayz-auth/ioredis'
 * app.use('*', stytchAuth({ cache: redisCache(process.env.REDIS_URL!) }))
 * // or your own client: redisCache(new Redis(…)), redisCache(new Cluster([…])), or options: redisCache({ url, db: 2 })
 * ```
 */
export function redisCache(
  clientOrUrlOrOptions: RedisClient | string | RedisCacheOptions
): CacheStore {
  const options: RedisCacheOptions =
    typeof clientOrUrlOrOptions === 'string'
      ? { url: clientOrUrlOrOptions }
      : isRedisClient(clientOrUrlOrOptions)
        ? { client: clientOrUrlOrOptions }
        : clientOrUrlOrOptions
  if (options.client !== undefined && !isRedisClient(options.client))
    throw new TypeError(
      'redisCache(): `client` has no get, set and del methods: pass an ioredis Redis or Cluster'
    )
  const own = options.client ? undefined : ownClient(options)
  const client = options.client ?? (own as OwnClient).client
  const command = own
    ? async <T>(send: () => Promise<T>): Promise<T> => {
        await own.ready()
        return send()
      }
    : <T>(send: () => Promise<T>): Promise<T> => send()
  return {
    name: own ? `redis at ${own.location}` : 'redis',
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    ...(options.cooldownMs ? { cooldownMs: options.cooldownMs } : {}),
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

function isRedisClient(value: unknown): value is RedisClient {
  const candidate = value as Partial<Record<keyof RedisClient, unknown>> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.del === 'function'
  )
}

/** The process's client for a URL, password and database: created once, connected on demand. */
function ownClient(options: RedisCacheOptions): OwnClient {
  const { url } = options
  if (!url)
    throw new TypeError(
      'redisCache() needs an ioredis client, a redis:// URL, or options with a url'
    )
  if (!/^rediss?:\/\/./i.test(url))
    throw new TypeError(
      `redisCache(): the URL must start with redis:// or rediss:// (got ${locationOf(url)})`
    )
  const key = JSON.stringify([url, options.password ?? null, options.db ?? null])
  let own = clients.get(key)
  if (own) return own
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // No reconnection loop of its own: the next command after an outage connects again, paced by
    // the library's breaker, so a dead Redis leaves no timer behind.
    retryStrategy: () => null,
    ...(options.password ? { password: options.password } : {}),
    ...(options.db !== undefined ? { db: options.db } : {}),
  })
  // Failures surface on commands (and in the library's "cache degraded" log), not as crashes.
  let lastError: unknown
  client.on('error', (error: unknown) => (lastError = error))
  // An idle connection does not keep a script alive; a command in flight is held by its timeout.
  const socket = () => (client as unknown as { stream?: { ref?(): void; unref?(): void } }).stream
  client.on('connect', () => socket()?.unref?.())
  let connecting: Promise<void> | undefined
  own = {
    client,
    location: locationOf(url, options.db),
    ready() {
      if (client.status === 'ready') return Promise.resolve()
      lastError = undefined
      connecting ??= client
        .connect()
        .catch((error: unknown) => {
          client.disconnect()
          // ioredis rejects with "Connection is closed."; the 'error' event said why.
          throw new Error(reasonOf(lastError ?? error))
        })
        .finally(() => (connecting = undefined))
      return connecting
    },
  }
  clients.set(key, own)
  closedByCloseAuth({
    close: async () => {
      clients.delete(key)
      socket()?.ref?.() // held until QUIT is answered
      await client.quit().catch(() => client.disconnect())
    },
  })
  return own
}

/** The URL without its password, e.g. `redis://cache:6379/2`. */
function locationOf(url: string, db?: number): string {
  const shown = url.replace(/\/\/[^@/]*@/, '//')
  return db !== undefined && !/\/\d+$/.test(shown) ? `${shown.replace(/\/$/, '')}/${db}` : shown
}

/** Why connecting failed, in words: `connection refused`, `host not found`, … */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  if (code === 'ETIMEDOUT') return 'connection timed out'
  return error instanceof Error ? error.message : String(error)
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
