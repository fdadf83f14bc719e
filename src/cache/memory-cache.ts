import type { CacheStore } from './cache-store.ts'
import { InProcessRateLimits } from '../rate-limit/in-process-rate-limits.ts'
import type { RateLimitDecision } from '../rate-limit/rate-limit-decision.ts'
import type { RateLimitRequest } from '../rate-limit/rate-limit-request.ts'
import { LocalTier } from './local-tier.ts'

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /** The most entries held at once; the least recently used go first. Default 10,000. */
  readonly maxEntries?: number
}

/**
 * A {@link CacheStore} in this process's memory: a bounded map of strings with TTLs. As the `cache`
 * option it is a shared tier that only this process shares (sealed entries, like Redis), which is
 * what tests of cache behaviour want; without any `cache` the library already keeps verified
 * sessions in process memory (`STYTCH_CACHE=memory`, the default).
 *
 * @example
 * ```ts
 * const cache = memoryCache({ maxEntries: 1_000 })
 * app.use('*', stytchAuth({ cache }))
 * [...cache.entries()] // every key and sealed value, e.g. to check that no token is stored
 * ```
 */
export class MemoryCache implements CacheStore {
  readonly name = 'memory'
  readonly #entries: LocalTier<string>
  readonly #rateLimits: InProcessRateLimits

  constructor(options: MemoryCacheOptions = {}) {
    this.#entries = new LocalTier(options.maxEntries ?? 10_000)
    this.#rateLimits = new InProcessRateLimits({ maxKeys: options.maxEntries ?? 10_000 })
  }

  async get(key: string): Promise<string | null> {
    return this.#entries.get(key) ?? null
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, value, ttlSeconds * 1000)
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#entries.get(key) !== undefined) return false
    this.#entries.set(key, value, ttlSeconds * 1000)
    return true
  }

  /** Decides a rate limit in this process ({@link InProcessRateLimits}, `maxEntries` keys at most). */
  consume(key: string, request: RateLimitRequest): Promise<RateLimitDecision> {
    return this.#rateLimits.consume(key, request)
  }

  /** Every live entry (for inspection and tests). */
  entries(): IterableIterator<[string, string]> {
    return this.#entries.entries()
  }
}

/**
 * Creates a {@link MemoryCache}.
 *
 * @example
 * ```ts
 * import { memoryCache, stytchAuth } from 'ayz-auth'
 * app.use('*', stytchAuth({ cache: memoryCache({ maxEntries: 50_000 }) }))
 * ```
 */
export function memoryCache(options?: MemoryCacheOptions): MemoryCache {
  return new MemoryCache(options)
}
