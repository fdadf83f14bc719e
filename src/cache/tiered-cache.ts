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
import type { LocalTier } from './local-tier.ts'

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
  /**
   * A value verified from the token alone (an access token): kept in this process only (it is
   * cheaper to verify again than to share) and served until it expires whatever a reader's
   * `maxAgeMs` (verifying it again would give the same answer).
   */
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
  /**
   * Longest this cache serves a value after it was stored, whoever stored it: its own `ttl`, as
   * both tiers are shared with caches of other settings (0: never from cache). Default: no bound
   * but each entry's expiry.
   */
  readonly maxAgeMs?: number
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
   * An id deleted with `rejectForMs` (revoked) is refused from `revoked`, a tier of its own that a
   * flood of rejected tokens cannot evict, and a load in flight when it is revoked caches nothing.
   */
  readonly rejections?: {
    readonly local: LocalTier<true>
    readonly revoked?: LocalTier<true>
    readonly ttlMs: number
    readonly remember: (error: unknown) => boolean
    readonly errorOf: () => Error
  }
}

/** A shared entry: valid until `u`, stored at `s` (absent in entries of earlier versions), data `d`. */
const Envelope = v.object({ u: v.number(), s: v.optional(v.number()), d: v.unknown() })
/** A published deletion; `forMs` (absent from earlier versions) says how long to reject. */
const Purge = v.object({
  ids: v.array(v.string()),
  reject: v.boolean(),
  forMs: v.optional(v.number()),
})
/** How often a fleet waiter looks for the lock holder's entry. */
const FLEET_POLL_MS = 25
/** The most shared deletions kept for when the tier answers again (the oldest are given up). */
const MAX_UNPURGED = 10_000

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
  readonly #maxAgeMs: number
  readonly #flights = new Map<string, Promise<{ value: T; tier: CacheTier }>>()
  /** Ids whose shared entry could not be deleted (the tier was down): deleted once it answers. */
  readonly #unpurged = new Set<string>()
  #purging = false

  constructor(options: TieredCacheOptions<T>) {
    this.#options = options
    this.#maxAgeMs = options.maxAgeMs ?? Infinity
  }

  /** The in-process value under `id`, synchronously (the hot path), or `undefined`. */
  peek(id: string, now: number = Date.now()): T | undefined {
    return this.#options.local.get(id, now, now - this.#maxAgeMs)
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
    if (rejections && (rejections.local.get(id) || this.#isRevoked(id)))
      return Promise.reject(rejections.errorOf())
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
    this.#hold(id, value, now + ttlMs, now, localOnly ? Infinity : now, localOnly)
    const { shared, namespace, encode } = this.#options
    if (!shared || localOnly) return
    const key = `${namespace}:${id}`
    const payload = JSON.stringify({ u: now + ttlMs, s: now, d: encode ? encode(value) : value })
    const sealed = await shared.sealer.seal(key, payload)
    await this.#sharedCall('set', (store) => store.set(key, sealed, ttlMs / 1000))
  }

  /**
   * Removes `id` from both tiers; with `rejectForMs`, also answers it as rejected (revoked) for that
   * long, and at least the rejections' `ttlMs`. Every instance listening on the purge channel does
   * the same in its in-process tier. When the shared tier cannot delete it (down), it is deleted
   * there as soon as the tier answers again.
   */
  async delete(id: string, rejectForMs?: number): Promise<void> {
    const { shared, purgeChannel } = this.#options
    this.forgetLocally([id], rejectForMs)
    if (!shared) return
    await this.#deleteShared(id)
    const publish = shared.store.publish?.bind(shared.store)
    if (purgeChannel && publish) {
      const purge = { ids: [id], reject: rejectForMs !== undefined, forMs: rejectForMs ?? 0 }
      const message = await shared.sealer.seal(purgeChannel, JSON.stringify(purge))
      await this.#sharedCall('publish', () => publish(purgeChannel, message))
    }
  }

  /**
   * Drops `ids` from the in-process tier, and with `rejectForMs` remembers them as revoked for that
   * long (at least the rejections' `ttlMs`).
   */
  forgetLocally(ids: readonly string[], rejectForMs?: number): void {
    const { local, rejections } = this.#options
    for (const id of ids) {
      local.delete(id)
      if (rejectForMs !== undefined)
        rejections?.revoked?.set(id, true, Math.max(rejectForMs, rejections.ttlMs))
    }
  }

  /** Applies a purge another instance published (sealed: anything else is ignored). */
  async applyPurge(message: string): Promise<void> {
    const { shared, purgeChannel } = this.#options
    if (!shared || !purgeChannel) return
    const opened = await shared.sealer.open(purgeChannel, message)
    const purge = opened === undefined ? undefined : v.safeParse(Purge, parseJson(opened))
    if (purge?.success) {
      const { ids, reject, forMs } = purge.output
      this.forgetLocally(ids, reject ? (forMs ?? 0) : undefined)
    }
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
    const rejections = this.#options.rejections
    try {
      const loaded = await load()
      // Revoked while it loaded (by this cache or any other sharing the tier): nothing is cached.
      if (rejections && this.#isRevoked(id)) throw rejections.errorOf()
      await this.set(id, loaded.value, loaded.ttlMs, loaded.localOnly)
      return { value: loaded.value, tier: 'miss' }
    } catch (error) {
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
    // Revoked (perhaps while this read waited), or its deletion still pending: never the entry.
    if (typeof sealed !== 'string' || this.#isRevoked(id) || this.#unpurged.has(id))
      return undefined
    const payload = await shared.sealer.open(key, sealed)
    const envelope = payload === undefined ? undefined : v.safeParse(Envelope, parseJson(payload))
    const now = Date.now()
    if (!envelope?.success || envelope.output.u <= now) return undefined
    const storedAt = envelope.output.s ?? now
    if (storedAt <= now - this.#maxAgeMs) return undefined
    const parsed = v.safeParse(schema, envelope.output.d)
    if (!parsed.success) return undefined
    this.#hold(id, parsed.output, envelope.output.u, now, storedAt)
    return parsed.output
  }

  #hold(
    id: string,
    value: T,
    validUntil: number,
    now: number,
    storedAt: number,
    localOnly = false
  ): void {
    const { local, shared, localTtlMs } = this.#options
    const cap = shared && !localOnly ? localTtlMs : Infinity
    local.set(id, value, Math.min(cap, validUntil - now), now, storedAt)
  }

  /** Deletes the shared entry of `id`, or keeps it to delete once the tier answers again. */
  async #deleteShared(id: string): Promise<void> {
    const key = `${this.#options.namespace}:${id}`
    const deleted = await this.#sharedCall('delete', (store) => store.delete(key).then(() => true))
    if (deleted) this.#unpurged.delete(id)
    else {
      this.#unpurged.add(id)
      if (this.#unpurged.size > MAX_UNPURGED)
        this.#unpurged.delete(this.#unpurged.values().next().value as string)
    }
  }

  /** Whether `id` was revoked (and is refused until its revocation runs out). */
  #isRevoked(id: string): boolean {
    return this.#options.rejections?.revoked?.get(id) === true
  }

  /** Deletes the shared entries a failed delete left behind, one at a time. */
  async #retryDeletes(): Promise<void> {
    this.#purging = true
    try {
      for (const id of [...this.#unpurged]) await this.#deleteShared(id)
    } finally {
      this.#purging = false
    }
  }

  /**
   * A shared-tier operation through its breaker; a failure (logged by the breaker's owner) is
   * `undefined`. A success retries the deletions left behind while the tier was down.
   */
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
      if (this.#unpurged.size > 0 && !this.#purging) void this.#retryDeletes()
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
