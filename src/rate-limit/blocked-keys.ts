import { LocalTier } from '../cache/local-tier.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'

/** A denial, in absolute times, to repeat until the key can pass again. */
interface Blocked {
  readonly retryAtMs: number
  readonly resetAtMs: number
  readonly remaining: number
}

/**
 * Keys known to be blocked, each until a request of its cost can pass again: while it is, a request
 * is refused from process memory, with no round trip to the store (a flood from one key costs the
 * store nothing). Filled only by denials, cleared by a refund; bounded (the least recently used is
 * forgotten first, which only costs that key a store round trip). A limit raised meanwhile (a plan
 * upgrade) applies once the block ends: at most one retry-after later.
 *
 * @example
 * ```ts
 * const blocked = new BlockedKeys(10_000)
 * blocked.block(key, denied) // a store said no, for 17 s
 * blocked.replay(key) // the same denial, 17 s shorter as time passes; undefined once it is over
 * ```
 */
export class BlockedKeys {
  readonly #keys: LocalTier<Blocked>

  constructor(maxKeys: number) {
    this.#keys = new LocalTier(maxKeys)
  }

  /** The denial of `key`, as of `nowMs`, while it is blocked. */
  replay(key: string, nowMs: number = Date.now()): RateLimitDecision | undefined {
    const blocked = this.#keys.get(key, nowMs)
    if (!blocked) return undefined
    return {
      allowed: false,
      remaining: blocked.remaining,
      resetMs: Math.max(blocked.resetAtMs - nowMs, 0),
      retryAfterMs: blocked.retryAtMs - nowMs,
    }
  }

  /** Remembers a denial (one that waiting can end). */
  block(key: string, denied: RateLimitDecision, nowMs: number = Date.now()): void {
    if (denied.allowed || !Number.isFinite(denied.retryAfterMs) || denied.retryAfterMs <= 0) return
    const blocked = {
      retryAtMs: nowMs + denied.retryAfterMs,
      resetAtMs: nowMs + denied.resetMs,
      remaining: denied.remaining,
    }
    this.#keys.set(key, blocked, denied.retryAfterMs, nowMs)
  }

  /** Forgets `key` (units were given back). */
  clear(key: string): void {
    this.#keys.delete(key)
  }
}
