/**
 * @module
 * Which credentials are revoked, and until when: a mark per credential digest, kept until the
 * credential's verified expiry. Marks are never evicted to make room, so no flood can revive a
 * revoked credential; only a credential that verified can be marked, so their number is bounded
 * by the real sessions revoked within a token's lifetime.
 */

/**
 * Revocation marks, shared by everything of one project in one process.
 *
 * @example
 * ```ts
 * const marks = new RevocationMarks()
 * marks.mark(id, Date.now() + 300_000)
 * marks.has(id) // true for 5 minutes
 * ```
 */
export class RevocationMarks {
  readonly #until = new Map<string, number>()
  /** The size at which expired marks are next swept out. */
  #sweepAt = 1024

  /** Marks `id` revoked until `until` (epoch ms); an earlier `until` never shortens a mark. */
  mark(id: string, until: number, now: number = Date.now()): void {
    if ((this.#until.get(id) ?? 0) >= until) return
    this.#until.set(id, until)
    if (this.#until.size >= this.#sweepAt) this.#sweep(now)
  }

  /** Whether `id` is revoked now. */
  has(id: string, now: number = Date.now()): boolean {
    const until = this.#until.get(id)
    if (until === undefined) return false
    if (until > now) return true
    this.#until.delete(id)
    return false
  }

  /** How many marks are held (expired ones included until swept). */
  get size(): number {
    return this.#until.size
  }

  #sweep(now: number): void {
    for (const [id, until] of this.#until) if (until <= now) this.#until.delete(id)
    this.#sweepAt = Math.max(1024, this.#until.size * 2)
  }
}
