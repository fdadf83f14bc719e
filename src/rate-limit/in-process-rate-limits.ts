import { decideGcra } from './gcra.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'

/** Keys looked at, oldest first, to make room for a new one (bounded: a flood stays cheap). */
const ROOM_LOOKS = 16

/**
 * Rate limits kept in this process's memory: one number per key (its GCRA arrival time, see
 * `decideGcra`), dropped once the key's budget is full again, in a bounded map. A decision is a
 * synchronous read and write, so concurrent requests of one process never race. It is the store
 * when no shared one is configured, and each instance's fallback while the shared one is down (then
 * every instance enforces the limit on its own: N instances admit up to N times the limit). When
 * full, keys whose budget is full again go first, then the oldest key, which gets a fresh budget.
 *
 * @example
 * ```ts
 * const limits = new InProcessRateLimits({ maxKeys: 50_000 })
 * limits.consumeSync('ayz:rl:default:3f2a9c', { limit: 100, windowMs: 60_000, cost: 1 })
 * // { allowed: true, remaining: 99, resetMs: 600, retryAfterMs: 0 }
 * ```
 */
export class InProcessRateLimits {
  /** Each key's TAT (µs); a key whose TAT has passed is as good as absent (its budget is full). */
  readonly #arrivals = new Map<string, number>()
  readonly #maxKeys: number

  /** @param options.maxKeys the most keys held at once (default 10,000). */
  constructor(options: { readonly maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 10_000
  }

  /** Decides `request` for `key` and spends its cost if allowed, at once. */
  consumeSync(key: string, request: RateLimitRequest): RateLimitDecision {
    const nowUs = Date.now() * 1000
    const { decision, newTatUs } = decideGcra(nowUs, this.#arrivals.get(key), request)
    if (newTatUs === undefined) return decision
    if (newTatUs <= nowUs) this.#arrivals.delete(key)
    else {
      if (!this.#arrivals.has(key) && this.#arrivals.size >= this.#maxKeys) this.#makeRoom(nowUs)
      this.#arrivals.set(key, newTatUs)
    }
    return decision
  }

  /** {@link consumeSync}, shaped as a store's `consume`. */
  async consume(key: string, request: RateLimitRequest): Promise<RateLimitDecision> {
    return this.consumeSync(key, request)
  }

  /** Drops the oldest keys whose budget is full again (a few), else the oldest key (a fresh budget). */
  #makeRoom(nowUs: number): void {
    let looked = 0
    for (const [key, tatUs] of this.#arrivals) {
      if (tatUs <= nowUs) this.#arrivals.delete(key)
      if (++looked === ROOM_LOOKS) break
    }
    if (this.#arrivals.size >= this.#maxKeys)
      this.#arrivals.delete(this.#arrivals.keys().next().value as string)
  }
}
