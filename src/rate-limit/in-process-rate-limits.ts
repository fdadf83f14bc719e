import { LocalTier } from '../cache/local-tier.ts'
import { decideGcra } from './gcra.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'

/**
 * Rate limits kept in this process's memory: one number per key (its GCRA arrival time, see
 * `decideGcra`), dropped once the key's budget is full again, in a bounded map. A decision is a
 * synchronous read and write, so concurrent requests of one process never race. It is the store
 * when no shared one is configured, and each instance's fallback while the shared one is down (then
 * every instance enforces the limit on its own: N instances admit up to N times the limit). When
 * full, the least recently used key is forgotten, which gives that key a fresh budget.
 *
 * @example
 * ```ts
 * const limits = new InProcessRateLimits({ maxKeys: 50_000 })
 * limits.consumeSync('ayz:rl:default:3f2a9c', { limit: 100, windowMs: 60_000, cost: 1 })
 * // { allowed: true, remaining: 99, resetMs: 600, retryAfterMs: 0 }
 * ```
 */
export class InProcessRateLimits {
  readonly #arrivals: LocalTier<number>

  /** @param options.maxKeys the most keys held at once (default 10,000). */
  constructor(options: { readonly maxKeys?: number } = {}) {
    this.#arrivals = new LocalTier(options.maxKeys ?? 10_000)
  }

  /** Decides `request` for `key` and spends its cost if allowed, at once. */
  consumeSync(key: string, request: RateLimitRequest): RateLimitDecision {
    const nowMs = Date.now()
    const { decision, newTatUs } = decideGcra(nowMs * 1000, this.#arrivals.get(key, nowMs), request)
    if (newTatUs === undefined) return decision
    const ttlMs = newTatUs / 1000 - nowMs
    if (ttlMs > 0) this.#arrivals.set(key, newTatUs, ttlMs, nowMs)
    else this.#arrivals.delete(key)
    return decision
  }

  /** {@link consumeSync}, shaped as a store's `consume`. */
  async consume(key: string, request: RateLimitRequest): Promise<RateLimitDecision> {
    return this.consumeSync(key, request)
  }
}
