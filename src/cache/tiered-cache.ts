/**
 * @module
 * The look-up stage: an in-process tier of ready objects in front of an optional shared tier of
 * sealed, validated JSON, with single flight and a negative cache. Every cached shape (sessions,
 * organizations, user ids, policies) goes through a {@link TieredCache}.
 */
import * as v from 'valibot'
import type { CacheStore } from './cache-store.ts'
import type { CircuitBreaker } from './circuit-breaker.ts'
import type { Sealer } from './seal.ts'
import type { CacheTier, Telemetry } from '../telemetry/telemetry.ts'

interface LocalEntry<T> {
  readonly value: T
  readonly expiresAt: number
  readonly seq: number
}

/**
 * A bounded in-process map whose entries expire, evicting about the least recently used first. A
 * read re-inserts an entry (to mark it used) only when the map is at least half full and the entry
 * sits in its older half, so a hot entry costs one `Map` lookup per hit and is never evicted
 * (below half full, nothing is evicted before the entry's next read re-inserts it).
 *
 * @example
 * ```ts
 * const local = new LocalTier<AuthContext>(10_000)
 * local.set(id, auth, 30_000)
 * local.get(id) // auth, for 30 s
 * ```
 */
export class LocalTier<T> {
  readonly #entries = new Map<string, LocalEntry<T>>()
  readonly #halfFull: number
  #seq = 0

  /** @param maxEntries the most entries kept at once (≥ 1). */
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
    this.#halfFull = maxEntries >>> 1
  }

  /** The live value under `key`. */
  get(key: string, now: number = Date.now()): T | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    const size = this.#entries.size
    if (size >= this.#halfFull && this.#seq - entry.seq >= size >>> 1) {
      this.#entries.delete(key)
      this.#entries.set(key, { value: entry.value, expiresAt: entry.expiresAt, seq: ++this.#seq })
    }
    return entry.value
  }

  /** Stores `value` for `ttlMs` milliseconds, evicting the oldest entry when full. */
  set(key: string, value: T, ttlMs: number, now: number = Date.now()): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: now + ttlMs, seq: ++this.#seq })
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.#entries.delete(key)
  }

  /** How many entries are held (expired ones included until read or evicted). */
  get size(): number {
    return this.#entries.size
  }

  /** Every live entry, oldest first (for inspection and tests). */
  *entries(now: number = Date.now()): IterableIterator<[string, T]> {
    for (const [key, entry] of this.#entries) if (entry.expiresAt > now) yield [key, entry.value]
  }
}

/** A shared tier: a store, the breaker bounding its operations, and the seal of its values. */
export interface SharedTier {
  readonly store: CacheStore
  readonly breaker: CircuitBreaker
  readonly sealer: Sealer
  /** Reports each operation as a `cache` upstream call, when telemetry is on. */
  readonly telemetry?: Telemetry | undefined
}

/** A value and how long it may be cached, as produced by a loader. */
export interface Loaded<T> {
  readonly value: T
  /** Milliseconds the value may be served from cache; 0 or less means do not cache it. */
  readonly ttlMs: number
  /** Keep it in this process only (it is cheaper to compute again than to share). */
  readonly localOnly?: boolean
}

/** How a {@link TieredCache} is built. */
export interface TieredCacheOptions<T> {
  /** Prefix of this cache's shared keys, e.g. `ayz_auth:session` (a key is `{namespace}:{id}`). */
  readonly namespace: string
  /** The in-process tier (shared by every cache of the same project and namespace). */
  readonly local: LocalTier<T>
  readonly shared?: SharedTier | undefined
  /** Longest an entry lives in process when a shared tier exists (bounds staleness across instances). */
  readonly localTtlMs: number
  /** Validates a shared entry's data and builds the value from it; an invalid entry is a miss. */
  readonly schema: v.GenericSchema<unknown, T>
  /** The JSON form of a value for the shared tier. Default: the value itself. */
  readonly encode?: (value: T) => unknown
  /**
   * Loads shared by every instance of the shared tier (when its store has `setIfAbsent`): the
   * first to miss takes a short lock and loads; the others wait up to `waitMs` for its entry (or its
   * remembered rejection), and load themselves when none comes (holder gone, tier down).
   */
  readonly fleet?: { readonly waitMs: number }
  /**
   * The channel on which deletions are published to every instance (when the store can push), so
   * each drops the entry from its in-process tier at once.
   */
  readonly purgeChannel?: string
  /**
   * Rejections to remember: a load failing with an error `remember` accepts fails again from
   * memory for `ttlMs`, with the error `errorOf` makes (a marker is kept, not the error itself).
   */
  readonly rejections?: {
    readonly local: LocalTier<true>
    readonly ttlMs: number
    readonly remember: (error: unknown) => boolean
    readonly errorOf: () => Error
  }
}

const Envelope = v.object({ u: v.number(), d: v.unknown() })
const Purge = v.object({ ids: v.array(v.string()), reject: v.boolean() })
/** How often a fleet waiter looks for the lock holder's entry. */
const FLEET_POLL_MS = 25

/**
 * An in-process tier in front of an optional shared tier, in front of a loader. A shared hit warms
 * the in-process tier; concurrent loads of one id share one loader call (single flight); a failing
 * shared tier degrades to a miss, never to an error; remembered rejections cost no load.
 *
 * @example
 * ```ts
 * const organizations = new TieredCache({ namespace: 'ayz_auth:org', local, localTtlMs: 10_000, schema })
 * const org = await organizations.getOrLoad(orgId, async () => ({ value: await find(orgId), ttlMs: 3_600_000 }))
 * ```
 */
export class TieredCache<T> {
  readonly #options: TieredCacheOptions<T>
  readonly #flights = new Map<string, Promise<{ value: T; tier: CacheTier }>>()

  constructor(options: TieredCacheOptions<T>) {
    this.#options = options
  }

  /** The in-process value under `id`, synchronously (the hot path), or `undefined`. */
  peek(id: string, now?: number): T | undefined {
    return this.#options.local.get(id, now)
  }

  /** The value under `id` from process memory, else from the shared tier, else `undefined`. */
  async get(id: string): Promise<T | undefined> {
    const hit = this.peek(id)
    return hit !== undefined ? hit : this.#readShared(id)
  }

  /**
   * The cached value under `id`, or the loader's, cached for its `ttlMs`. Concurrent calls for one
   * id share one loader call; its rejection reaches every caller.
   */
  getOrLoad(
    id: string,
    load: () => Promise<Loaded<T>>,
    how: {
      /** Told which tier answered. */
      readonly onTier?: (tier: CacheTier) => void
      /** Whether the fleet's single flight applies (default: when configured). */
      readonly fleet?: boolean
    } = {}
  ): Promise<T> {
    const { onTier } = how
    const hit = this.peek(id)
    if (hit !== undefined) {
      onTier?.('l1')
      return Promise.resolve(hit)
    }
    const rejections = this.#options.rejections
    if (rejections?.local.get(id)) return Promise.reject(rejections.errorOf())
    let flight = this.#flights.get(id)
    if (flight === undefined) {
      flight = this.#fill(id, load, how.fleet ?? true).finally(() => this.#flights.delete(id))
      this.#flights.set(id, flight)
    }
    return flight.then(({ value, tier }) => {
      onTier?.(tier)
      return value
    })
  }

  /** Stores `value` in both tiers (or in process only) for `ttlMs` (nothing when `ttlMs` ≤ 0). */
  async set(id: string, value: T, ttlMs: number, localOnly = false): Promise<void> {
    if (ttlMs <= 0) return
    const now = Date.now()
    this.#hold(id, value, now + ttlMs, now, localOnly)
    const { shared, namespace, encode } = this.#options
    if (!shared || localOnly) return
    const key = `${namespace}:${id}`
    const payload = JSON.stringify({ u: now + ttlMs, d: encode ? encode(value) : value })
    const sealed = await shared.sealer.seal(key, payload)
    await this.#sharedCall('set', (store) => store.set(key, sealed, ttlMs / 1000))
  }

  /**
   * Removes `id` from both tiers; with `reject`, also answers it as rejected from now on. Every
   * instance listening on the purge channel drops it from its in-process tier too.
   */
  async delete(id: string, reject = false): Promise<void> {
    const { shared, namespace, purgeChannel } = this.#options
    this.forgetLocally([id], reject)
    if (!shared) return
    await this.#sharedCall('delete', (store) => store.delete(`${namespace}:${id}`))
    const publish = shared.store.publish?.bind(shared.store)
    if (purgeChannel && publish) {
      const message = await shared.sealer.seal(purgeChannel, JSON.stringify({ ids: [id], reject }))
      await this.#sharedCall('publish', () => publish(purgeChannel, message))
    }
  }

  /** Drops `ids` from the in-process tier (and remembers them as rejected with `reject`). */
  forgetLocally(ids: readonly string[], reject: boolean): void {
    const { local, rejections } = this.#options
    for (const id of ids) {
      local.delete(id)
      if (reject && rejections) rejections.local.set(id, true, rejections.ttlMs)
    }
  }

  /** Applies a purge another instance published (sealed: anything else is ignored). */
  async applyPurge(message: string): Promise<void> {
    const { shared, purgeChannel } = this.#options
    if (!shared || !purgeChannel) return
    const opened = await shared.sealer.open(purgeChannel, message)
    const purge = opened === undefined ? undefined : v.safeParse(Purge, parseJson(opened))
    if (purge?.success) this.forgetLocally(purge.output.ids, purge.output.reject)
  }

  async #fill(
    id: string,
    load: () => Promise<Loaded<T>>,
    fleet: boolean
  ): Promise<{ value: T; tier: CacheTier }> {
    const shared = await this.#readShared(id)
    if (shared !== undefined) return { value: shared, tier: 'l2' }
    const lock = fleet ? await this.#awaitFleet(id) : {}
    if (lock.value !== undefined) return { value: lock.value, tier: 'l2' }
    try {
      const loaded = await load()
      await this.set(id, loaded.value, loaded.ttlMs, loaded.localOnly)
      return { value: loaded.value, tier: 'miss' }
    } catch (error) {
      const rejections = this.#options.rejections
      if (rejections?.remember(error)) rejections.local.set(id, true, rejections.ttlMs)
      throw error
    } finally {
      await lock.release?.()
    }
  }

  /**
   * The fleet's single flight: either the lock is ours (`release` it once loaded: the entry is
   * written first), or the holder's entry (`value`), or neither in time, or the holder is done
   * without one (a rejection, a failure): then this instance loads by itself. Nothing but the
   * short-lived lock is written, so a flood of invalid tokens leaves nothing in the shared tier.
   */
  async #awaitFleet(id: string): Promise<{ value?: T; release?(): Promise<void> }> {
    const { shared, fleet, namespace } = this.#options
    const setIfAbsent = shared?.store.setIfAbsent?.bind(shared.store)
    if (!shared || !setIfAbsent || !fleet) return {}
    const key = `${namespace}:lock:${id}`
    const taken = await this.#sharedCall('lock', () =>
      setIfAbsent(key, 'locked', fleet.waitMs / 1000)
    )
    if (taken !== false)
      return {
        release: async () => {
          await this.#sharedCall('unlock', (store) => store.delete(key))
        },
      }
    const deadline = Date.now() + fleet.waitMs
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, FLEET_POLL_MS))
      const value = await this.#readShared(id)
      if (value !== undefined) return { value }
      if ((await this.#sharedCall('get', (store) => store.get(key))) === null) {
        // The holder is done: its entry was written just before the lock went, or there is none.
        const written = await this.#readShared(id)
        return written === undefined ? {} : { value: written }
      }
    }
    return {}
  }

  async #readShared(id: string): Promise<T | undefined> {
    const { shared, namespace, schema } = this.#options
    if (!shared) return undefined
    const key = `${namespace}:${id}`
    const sealed = await this.#sharedCall('get', (store) => store.get(key))
    if (typeof sealed !== 'string') return undefined
    const payload = await shared.sealer.open(key, sealed)
    const envelope = payload === undefined ? undefined : v.safeParse(Envelope, parseJson(payload))
    const now = Date.now()
    if (!envelope?.success || envelope.output.u <= now) return undefined
    const parsed = v.safeParse(schema, envelope.output.d)
    if (!parsed.success) return undefined
    this.#hold(id, parsed.output, envelope.output.u, now)
    return parsed.output
  }

  #hold(id: string, value: T, validUntil: number, now: number, localOnly = false): void {
    const { local, shared, localTtlMs } = this.#options
    const cap = shared && !localOnly ? localTtlMs : Infinity
    local.set(id, value, Math.min(cap, validUntil - now), now)
  }

  /** A shared-tier operation through its breaker; a failure (logged by the breaker's owner) is `undefined`. */
  async #sharedCall<R>(
    name: string,
    operation: (store: CacheStore) => Promise<R>
  ): Promise<R | undefined> {
    const shared = this.#options.shared
    if (!shared) return undefined
    const call = shared.telemetry?.upstream('cache', name)
    try {
      const result = await shared.breaker.run(() => operation(shared.store))
      call?.end('ok')
      return result
    } catch {
      call?.end('error')
      return undefined
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
