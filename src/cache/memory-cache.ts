import type { CacheStore } from './cache-store.ts'
import { LruTtlMap } from './lru-ttl-map.ts'

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /** The most entries held at once; the least recently used go first. Default 10,000. */
  readonly maxEntries?: number
}

/** Default bound of an in-process cache: ~10k sessions is a few MB. */
export const DEFAULT_MAX_ENTRIES = 10_000

/**
 * An in-process cache: a bounded LRU map with TTLs. As a {@link CacheStore} it holds strings; the
 * library also keeps ready-to-use objects in it (`peek`/`put`), so a cache hit costs one lookup and
 * no parsing. It is the default backend, and the in-process tier (L1) in front of Redis or Upstash.
 *
 * @example
 * ```ts
 * app.use('*', stytchAuth({ cache: memoryCache({ maxEntries: 50_000 }) }))
 * ```
 */
export class MemoryCache implements CacheStore {
  readonly #map: LruTtlMap<unknown>

  constructor(options: MemoryCacheOptions = {}) {
    this.#map = new LruTtlMap(options.maxEntries ?? DEFAULT_MAX_ENTRIES)
  }

  async get(key: string): Promise<string | null> {
    const value = this.#map.get(key)
    return typeof value === 'string' ? value : null
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#map.set(key, value, ttlSeconds * 1000)
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key)
  }

  /** The live object or string under `key` (synchronous: the hot path). */
  peek(key: string, now?: number): unknown {
    return this.#map.get(key, now)
  }

  /** Stores any value (kept by reference) for `ttlMs` milliseconds. */
  put(key: string, value: unknown, ttlMs: number, now?: number): void {
    this.#map.set(key, value, ttlMs, now)
  }

  /** Removes `key` (synchronous). */
  remove(key: string): void {
    this.#map.delete(key)
  }

  /** Every live entry (for inspection and tests). */
  entries(): IterableIterator<[string, unknown]> {
    return this.#map.entries()
  }
}

/**
 * Creates an in-process {@link MemoryCache}.
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
