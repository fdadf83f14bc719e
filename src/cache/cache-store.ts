/**
 * A key-value store the library caches verified sessions and entitlement documents in. Values are
 * strings (sealed JSON); every key starts with the configured prefix and every write has a TTL.
 * Implementations: {@link memoryCache} (in-process, the default), `redisCache` from
 * `ayz-auth/ioredis`, `upstashCache` from `ayz-auth/upstash`.
 *
 * A store may throw when its backend is unreachable: the library treats that as a miss, logs the
 * cache as degraded, and keeps serving (verifying with Stytch).
 *
 * @example
 * ```ts
 * const store: CacheStore = {
 *   async get(key) { return kv.get(key) },
 *   async set(key, value, ttlSeconds) { await kv.put(key, value, { expirationTtl: Math.max(60, ttlSeconds) }) },
 *   async delete(key) { await kv.delete(key) },
 * }
 * app.use('*', stytchAuth({ cache: store }))
 * ```
 */
export interface CacheStore {
  /** The value stored under `key`, or `null` when absent or expired. */
  get(key: string): Promise<string | null>
  /** Stores `value` under `key` for `ttlSeconds` (a positive number; fractions allowed). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>
  /** Removes `key`; resolves whether or not it existed. */
  delete(key: string): Promise<void>
}
