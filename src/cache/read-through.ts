/**
 * @module
 * The look-up stage: an in-process tier of ready objects in front of an optional shared tier of
 * sealed, validated JSON, in front of a loader, with single flight, negative entries and the
 * fleet's lock. Every cached shape (principals, organizations, user ids, policies) is one.
 */
import * as v from 'valibot'
import type { CacheTier } from '../telemetry/telemetry.ts'
import type { FleetLock, HeldLock } from './fleet-lock.ts'
import type { LocalTier } from './local-tier.ts'
import type { Revocations } from './revocations.ts'
import type { SharedRead, SharedTier } from './shared-tier.ts'

/** A value and the tier that answered. */
export interface Filled<T> {
  readonly value: T
  readonly tier: CacheTier
}

/** A value and how long it may be cached, as a loader produces it (`ttlMs` ≤ 0: not cached). */
export interface Loaded<T> {
  readonly value: T
  readonly ttlMs: number
}

/** How a {@link ReadThroughCache} is built. */
export interface ReadThroughOptions<T> {
  /** Prefix of this cache's shared keys, e.g. `ayz_auth:session` (a key is `{namespace}:{id}`). */
  readonly namespace: string
  /** The in-process tier (shared by every cache of the same project and shape). */
  readonly local: LocalTier<T>
  readonly shared?: SharedTier | undefined
  /**
   * Longest an entry lives in process when a shared tier exists (bounds staleness across instances);
   * 0: none is kept or read there, every read goes to the shared tier.
   */
  readonly localTtlMs: number
  /** Longest this cache serves a value after it was stored, whoever stored it (default: no bound). */
  readonly maxAgeMs?: number
  /** Validates a shared entry's data and builds the value from it; an invalid entry is a miss. */
  readonly schema: v.GenericSchema<unknown, T>
  /** A value's JSON form for the shared tier; `undefined` keeps it in process, whatever `maxAgeMs`. */
  readonly encode?: (value: T) => unknown
  /**
   * A string field of the JSON form stored beside the JSON as is (a JSON text within: no escaping
   * to write, none to undo on a read), put back before `schema` reads the entry.
   */
  readonly detached?: string
  /** Loads in flight by id, shared with the caches of other settings of the same project. */
  readonly flights?: Map<string, Promise<Filled<T>>>
  /** The fleet's single flight, for loads that ask it. */
  readonly fleet?: FleetLock | undefined
  /** Failures remembered for `ttlMs` (a marker, not the error), and revoked ids, refused as `errorOf()`. */
  readonly rejections?: {
    readonly local: LocalTier<true>
    readonly ttlMs: number
    readonly remember: (error: unknown) => boolean
    readonly errorOf: () => Error
    readonly revocations?: Revocations
  }
}

/**
 * A read-through cache over the two tiers: concurrent loads of one id share one loader call; a
 * shared hit warms the process; a failing shared tier is a miss, never an error.
 *
 * @example
 * ```ts
 * const organizations = new ReadThroughCache({ namespace: 'ayz_auth:org', local, localTtlMs: 10_000, schema })
 * const { value } = await organizations.getOrLoad(orgId, async () => ({ value: await find(orgId), ttlMs: 3_600_000 }))
 * ```
 */
export class ReadThroughCache<T> {
  readonly #options: ReadThroughOptions<T>
  readonly #flights: Map<string, Promise<Filled<T>>>
  // False when a shared tier exists and `localTtlMs` is 0: the in-process tier is not used.
  readonly #inProcess: boolean

  constructor(options: ReadThroughOptions<T>) {
    this.#options = options
    this.#flights = options.flights ?? new Map()
    this.#inProcess = options.shared === undefined || options.localTtlMs > 0
  }

  /** Whether values are kept in process (else every read goes to the shared tier). */
  get keepsInProcess(): boolean {
    return this.#inProcess
  }

  /** The in-process value under `id`, synchronously (the hot path), or `undefined`. */
  peek(id: string, now: number = Date.now()): T | undefined {
    if (!this.#inProcess) return undefined
    return this.#options.local.get(id, now, now - (this.#options.maxAgeMs ?? Infinity))
  }

  /** The value under `id` from process memory, else from the shared tier, else `undefined`. */
  async get(id: string): Promise<T | undefined> {
    return this.peek(id) ?? (await this.#readShared(id)).value
  }

  /** The cached value under `id`, or the loader's; `fleet` lets the fleet's lock apply (when configured). */
  getOrLoad(id: string, load: () => Promise<Loaded<T>>, fleet = true): Promise<Filled<T>> {
    const hit = this.peek(id)
    if (hit !== undefined) return Promise.resolve({ value: hit, tier: 'l1' })
    const rejections = this.#options.rejections
    if (rejections && (rejections.local.get(id) || rejections.revocations?.isRevoked(id)))
      return Promise.reject(rejections.errorOf())
    let flight = this.#flights.get(id)
    if (flight === undefined) {
      const started = this.#fill(id, load, fleet).finally(() => {
        if (this.#flights.get(id) === started) this.#flights.delete(id)
      })
      this.#flights.set(id, (flight = started))
    }
    return flight
  }

  /** Stores `value` in both tiers for `ttlMs`, replacing what is there. */
  async set(id: string, value: T, ttlMs: number): Promise<void> {
    await this.#store(id, { value, ttlMs })
  }

  /** Removes `id` from both tiers. */
  async delete(id: string): Promise<void> {
    this.#options.local.delete(id)
    await this.#options.shared?.remove(`${this.#options.namespace}:${id}`)
  }

  async #fill(id: string, load: () => Promise<Loaded<T>>, fleet: boolean): Promise<Filled<T>> {
    const read = await this.#readShared(id)
    if (read.value !== undefined) return { value: read.value, tier: 'l2' }
    const turn = fleet && !read.failed ? await this.#options.fleet?.acquire(id) : undefined
    const found = turn && 'found' in turn ? this.#opened(id, turn.found) : undefined
    if (found?.value !== undefined) return { value: found.value, tier: 'l2' }
    const { rejections } = this.#options
    try {
      const loaded = await load()
      // Revoked while it loaded (here or on any instance that told us): nothing is cached.
      if (rejections?.revocations?.isRevoked(id)) throw rejections.errorOf()
      await this.#store(id, loaded)
      // A logout elsewhere may have deleted the shared entry just before ours was written.
      if (await rejections?.revocations?.confirmed(id)) {
        await this.delete(id)
        throw rejections?.errorOf()
      }
      return { value: loaded.value, tier: 'miss' }
    } catch (error) {
      if (rejections?.remember(error)) rejections.local.set(id, true, rejections.ttlMs)
      throw error
    } finally {
      await (turn as HeldLock | undefined)?.release?.()
    }
  }

  /** Both tiers (a value without a JSON form in process only, served until it expires). */
  async #store(id: string, { value, ttlMs }: Loaded<T>): Promise<void> {
    if (ttlMs <= 0) return
    const { shared, namespace, encode, local, localTtlMs } = this.#options
    const now = Date.now()
    const data = encode ? encode(value) : value
    const sharable = shared !== undefined && data !== undefined
    // With a shared tier, an in-process entry lives `localTtlMs` at most: a revocation elsewhere
    // reaches this process within it, even where the tier cannot push.
    if (this.#inProcess)
      local.set(
        id,
        value,
        shared ? Math.min(localTtlMs, ttlMs) : ttlMs,
        now,
        data === undefined ? Infinity : now
      )
    if (sharable)
      await shared.write(`${namespace}:${id}`, this.#detach(data, now + ttlMs), ttlMs, now)
  }

  async #readShared(id: string): Promise<{ value?: T; failed?: true }> {
    const { shared, namespace } = this.#options
    if (!shared) return {}
    const read = await shared.read(`${namespace}:${id}`)
    return read.status === 'failed' ? { failed: true } : this.#opened(id, read)
  }

  /** The shared entry of `data`: its detached field apart, as text. */
  #detach(data: unknown, validUntil: number): { data: unknown; text?: string; validUntil: number } {
    const field = this.#options.detached
    const text = field === undefined ? undefined : (data as Record<string, unknown>)[field]
    // An `undefined` field is left out of the JSON: the text is stored once, beside it.
    return field === undefined || typeof text !== 'string'
      ? { data, validUntil }
      : { data: { ...(data as object), [field]: undefined }, text, validUntil }
  }

  /** The data of a shared entry with its detached field back (the data was just parsed: ours). */
  #attach(data: unknown, text: string | undefined): unknown {
    const { detached } = this.#options
    if (detached !== undefined && text !== undefined && typeof data === 'object' && data !== null)
      (data as Record<string, unknown>)[detached] = text
    return data
  }

  /** A shared read's value (warming the process), or nothing. */
  #opened(id: string, read: SharedRead): { value?: T } {
    const now = Date.now()
    const rejections = this.#options.rejections
    if (read.status !== 'hit' || read.storedAt <= now - (this.#options.maxAgeMs ?? Infinity))
      return {}
    // Revoked while the read was on its way: what it brings back is not served.
    if (rejections?.revocations?.isRevoked(id, now)) throw rejections.errorOf()
    const parsed = v.safeParse(this.#options.schema, this.#attach(read.data, read.text))
    if (!parsed.success) return {}
    const value = parsed.output
    const { local, localTtlMs } = this.#options
    if (this.#inProcess)
      local.set(id, value, Math.min(localTtlMs, read.validUntil - now), now, read.storedAt)
    return { value }
  }
}
