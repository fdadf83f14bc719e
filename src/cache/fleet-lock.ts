/**
 * @module
 * The fleet's single flight: on a miss, the first instance takes a short lock in the shared tier
 * (a key digest, never a token) and loads; the others wait for its entry, and load themselves when
 * none comes in time or the shared tier stops answering.
 */
import type { SharedRead, SharedTier } from './shared-tier.ts'

/** How often a waiter looks for the lock holder's entry. */
const POLL_MS = 25

/** The lock is this instance's: load, write the entry, then release. */
export interface HeldLock {
  release(): Promise<void>
}

/**
 * A lock per id in the shared tier, waited on up to `waitMs`.
 *
 * @example
 * ```ts
 * const lock = new FleetLock(shared, 'ayz_auth:session', 10_000)
 * const turn = await lock.acquire(id)
 * if (turn && 'release' in turn) { await loadAndWrite(); await turn.release() }
 * ```
 */
export class FleetLock {
  constructor(
    readonly shared: SharedTier,
    readonly namespace: string,
    readonly waitMs: number
  ) {}

  /**
   * The lock (`release` it once the entry is written), or the holder's entry, or `undefined` when this instance must load by itself: the holder finished
   * without an entry (a rejection, a failure), it took too long, or the tier failed (a failed read
   * ends the wait at once: a dead tier must not hold requests for the whole `waitMs`).
   */
  async acquire(id: string): Promise<HeldLock | { readonly found: SharedRead } | undefined> {
    const key = `${this.namespace}:lock:${id}`
    const taken = await this.shared.lock(key, this.waitMs)
    if (taken === undefined) return undefined
    if (taken) return { release: async () => void (await this.shared.remove(key)) }
    const entryKey = `${this.namespace}:${id}`
    const deadline = Date.now() + this.waitMs
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      const read = await this.shared.read(entryKey)
      if (read.status === 'failed') return undefined
      if (read.status === 'hit') return { found: read }
      const held = await this.shared.isLocked(key)
      if (held === undefined) return undefined
      if (!held) {
        // The holder is done: its entry was written just before the lock went, or there is none.
        const last = await this.shared.read(entryKey)
        return last.status === 'hit' ? { found: last } : undefined
      }
    }
    return undefined
  }
}
