/**
 * @module
 * The in-process tier: a bounded map whose entries expire, evicting about the least recently used
 * first. Every in-process cache of the library (sessions, rejections, records, policies) is one.
 */

interface LocalEntry<T> {
  readonly value: T
  readonly expiresAt: number
  /** When the value was stored (verified), for readers bounding its age (`Infinity`: ageless). */
  readonly storedAt: number
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

  /** The live value under `key`, if it was stored after `storedAfter` (default: whenever). */
  get(key: string, now: number = Date.now(), storedAfter = -Infinity): T | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    if (entry.storedAt <= storedAfter) return undefined
    const size = this.#entries.size
    if (size >= this.#halfFull && this.#seq - entry.seq >= size >>> 1) {
      this.#entries.delete(key)
      this.#entries.set(key, { ...entry, seq: ++this.#seq })
    }
    return entry.value
  }

  /**
   * Stores `value` for `ttlMs` milliseconds, evicting the oldest entry when full. `storedAt` is when
   * the value was stored first (by default now), for readers bounding its age. A `ttlMs` ≤ 0 only
   * removes what `key` held.
   */
  set(key: string, value: T, ttlMs: number, now: number = Date.now(), storedAt = now): void {
    this.#entries.delete(key)
    if (ttlMs <= 0) return
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: now + ttlMs, storedAt, seq: ++this.#seq })
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
