import type { CacheStore } from './cache-store.ts'
import type { MemoryCache } from './memory-cache.ts'
import type { Sealer } from './seal.ts'

/** Turns cached values into JSON and back; `decode` validates and answers `undefined` when corrupt. */
export interface Codec<T> {
  encode(value: T): unknown
  decode(data: unknown): T | undefined
}

/** A value and how long it may be cached, as produced by a loader. */
export interface Loaded<T> {
  readonly value: T
  /** Milliseconds the value may be served from cache; 0 or less means do not cache it. */
  readonly ttlMs: number
}

/** How a {@link TieredCache} is built. */
export interface TieredCacheOptions<T> {
  /** The in-process tier: holds ready objects. */
  readonly l1: MemoryCache
  /** The shared tier (Redis, Upstash), if any: holds sealed JSON. */
  readonly l2?: { readonly store: CacheStore; readonly sealer: Sealer; readonly timeoutMs: number }
  /** Longest an entry lives in L1 when an L2 exists (bounds staleness across instances). */
  readonly l1TtlMs: number
  readonly codec: Codec<T>
  /** Called when the shared tier fails (unreachable, timeout); the operation then counts as a miss. */
  readonly onSharedTierError: (error: unknown) => void
  /** Called when the shared tier answers again after a failure. */
  readonly onSharedTierOk: () => void
}

/** An L1 entry of this cache (so a key written by something else is never mistaken for one). */
class Held<T> {
  constructor(
    readonly value: T,
    readonly validUntil: number
  ) {}
}

/**
 * Two cache tiers in front of a loader: an in-process L1 of ready objects and an optional shared L2
 * of sealed, validated JSON. L2 hits warm L1; concurrent loads of one key share one loader call
 * (single flight); a failing L2 degrades to a miss, never to an error.
 *
 * @example
 * ```ts
 * const orgs = new TieredCache({ l1: memoryCache(), l1TtlMs: 10_000, codec, onSharedTierError, onSharedTierOk })
 * const org = await orgs.getOrLoad('ayz_auth:org:organization-test-…', async () => ({
 *   value: await source.findOrganization(id),
 *   ttlMs: 3_600_000,
 * }))
 * ```
 */
export class TieredCache<T> {
  readonly #options: TieredCacheOptions<T>
  readonly #flights = new Map<string, Promise<T>>()

  constructor(options: TieredCacheOptions<T>) {
    this.#options = options
  }

  /** The L1 value under `key`, synchronously (the hot path), or `undefined`. */
  peek(key: string, now?: number): T | undefined {
    const held = this.#options.l1.peek(key, now)
    return held instanceof Held ? (held.value as T) : undefined
  }

  /** The value under `key` from L1, else from L2 (warming L1), else `undefined`. */
  async get(key: string): Promise<T | undefined> {
    const hit = this.peek(key)
    return hit !== undefined ? hit : this.#readShared(key)
  }

  /**
   * The cached value under `key`, or the loader's result, cached for its `ttlMs`. Concurrent calls
   * for one key share a single loader call; a loader's rejection reaches every caller.
   */
  getOrLoad(key: string, load: () => Promise<Loaded<T>>): Promise<T> {
    const hit = this.peek(key)
    if (hit !== undefined) return Promise.resolve(hit)
    let flight = this.#flights.get(key)
    if (flight === undefined) {
      flight = this.#fill(key, load).finally(() => this.#flights.delete(key))
      this.#flights.set(key, flight)
    }
    return flight
  }

  /** Stores `value` in both tiers for `ttlMs` (nothing when `ttlMs` ≤ 0). */
  async set(key: string, value: T, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return
    const now = Date.now()
    const validUntil = now + ttlMs
    this.#hold(key, value, validUntil, now)
    const l2 = this.#options.l2
    if (!l2) return
    const payload = JSON.stringify({ u: validUntil, d: this.#options.codec.encode(value) })
    await this.#shared(async () =>
      l2.store.set(key, await l2.sealer.seal(key, payload), ttlMs / 1000)
    )
  }

  /** Removes `key` from both tiers. */
  async delete(key: string): Promise<void> {
    this.#options.l1.remove(key)
    const l2 = this.#options.l2
    if (l2) await this.#shared(() => l2.store.delete(key))
  }

  async #fill(key: string, load: () => Promise<Loaded<T>>): Promise<T> {
    const shared = await this.#readShared(key)
    if (shared !== undefined) return shared
    const { value, ttlMs } = await load()
    await this.set(key, value, ttlMs)
    return value
  }

  async #readShared(key: string): Promise<T | undefined> {
    const l2 = this.#options.l2
    if (!l2) return undefined
    const sealed = await this.#shared(() => l2.store.get(key))
    if (typeof sealed !== 'string') return undefined
    const payload = await l2.sealer.open(key, sealed)
    if (payload === undefined) return undefined
    const envelope = parseEnvelope(payload)
    const now = Date.now()
    if (!envelope || envelope.u <= now) return undefined
    const value = this.#options.codec.decode(envelope.d)
    if (value !== undefined) this.#hold(key, value, envelope.u, now)
    return value
  }

  #hold(key: string, value: T, validUntil: number, now: number): void {
    const cap = this.#options.l2 ? this.#options.l1TtlMs : Number.POSITIVE_INFINITY
    this.#options.l1.put(key, new Held(value, validUntil), Math.min(cap, validUntil - now), now)
  }

  /** Runs an L2 operation within its timeout; a failure is reported and becomes `undefined`. */
  async #shared<R>(operation: () => Promise<R>): Promise<R | undefined> {
    const l2 = this.#options.l2
    if (!l2) return undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`cache timed out after ${l2.timeoutMs} ms`)),
        l2.timeoutMs
      )
    })
    try {
      const result = await Promise.race([operation(), timeout])
      this.#options.onSharedTierOk()
      return result
    } catch (error) {
      this.#options.onSharedTierError(error)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}

function parseEnvelope(payload: string): { u: number; d: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(payload)
    if (typeof parsed !== 'object' || parsed === null) return undefined
    const { u, d } = parsed as { u?: unknown; d?: unknown }
    return typeof u === 'number' ? { u, d } : undefined
  } catch {
    return undefined
  }
}
