/**
 * A bounded map whose entries expire: at most `maxEntries` live entries, the least recently used
 * evicted first, an expired entry dropped when read. Synchronous, so a cache hit costs a lookup.
 *
 * @example
 * ```ts
 * const sessions = new LruTtlMap<AuthContext>(10_000)
 * sessions.set(key, auth, 30_000)
 * sessions.get(key) // auth, for 30 s
 * ```
 */
export class LruTtlMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()

  /** @param maxEntries the most entries kept at once (≥ 1). */
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
    }
  }

  /** The live value under `key`, marking it most recently used. */
  get(key: string, now: number = Date.now()): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= now) return undefined
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Stores `value` for `ttlMs` milliseconds, evicting the least recently used entry when full. */
  set(key: string, value: V, ttlMs: number, now: number = Date.now()): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: now + ttlMs })
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.#entries.delete(key)
  }

  /** How many entries are held (expired ones included until read or evicted). */
  get size(): number {
    return this.#entries.size
  }

  /** Every live entry, least recently used first (for inspection and tests). */
  *entries(now: number = Date.now()): IterableIterator<[string, V]> {
    for (const [key, entry] of this.#entries) if (entry.expiresAt > now) yield [key, entry.value]
  }
}
