import type { RateLimitDecision } from '../rate-limit/rate-limit-decision.ts'
import type { RateLimitRequest } from '../rate-limit/rate-limit-request.ts'

/**
 * A key-value store for the shared cache tier: verified sessions and entitlement records, as
 * strings (sealed JSON), under keys that start with the configured prefix, each with a TTL.
 * Implementations: `redisCache` from `ayz-auth/ioredis`, `upstashCache` from `ayz-auth/upstash`,
 * {@link memoryCache} (in this process), or your own.
 *
 * A store may throw or hang when its backend is unreachable: the library bounds every operation by
 * `timeoutMs`, treats a failure as a miss, logs the cache as degraded once, stops asking for
 * `cooldownMs`, and keeps serving (from process memory and Stytch).
 *
 * @example
 * ```ts
 * const store: CacheStore = {
 *   name: 'workers-kv',
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
  /**
   * Stores `value` under `key` for `ttlSeconds` only if `key` is absent; `true` when it did. With
   * it, instances sharing the store verify a cold token once between them (a short lock).
   */
  setIfAbsent?(key: string, value: string, ttlSeconds: number): Promise<boolean>
  /** Sends `message` to every instance listening on `channel` (a store that can push). */
  publish?(channel: string, message: string): Promise<void>
  /**
   * Calls `onMessage` with each message on `channel`, until `stop()`; `onState(false)` when the
   * subscription is lost (it comes back by itself), `onState(true)` when it listens (again). With
   * it, a revocation reaches every instance's in-process tier at once, not within `l1Ttl`.
   */
  listen?(
    channel: string,
    onMessage: (message: string) => void,
    onState: (listening: boolean) => void
  ): { stop(): Promise<void> }
  /**
   * Decides a rate limit for `key` and spends `request.cost` units if allowed, as one atomic step
   * across every instance sharing the store: a burst of `limit` concurrent requests on a fresh key,
   * from any number of instances, gets exactly `limit` admissions. A denied request changes nothing;
   * a negative `cost` gives units back (a refund, up to a full budget).
   * The built-in stores use GCRA (`decideGcra`: one number per key, kept until the key's budget is
   * full again) and keep `key` under a hash-tagged name on Redis (`ayz:rl:x:3f2a` → `ayz:rl:x:{3f2a}`).
   */
  consume?(key: string, request: RateLimitRequest): Promise<RateLimitDecision>
  /** How logs name the store, without secrets (e.g. `redis at redis://cache:6379`). Default `cache`. */
  readonly name?: string
  /** Milliseconds an operation may take before the store counts as down. Default 1000. */
  readonly timeoutMs?: number
  /** Milliseconds a failed store is left alone before one operation tries it again. Default 2000. */
  readonly cooldownMs?: number
}
