/**
 * The answer to a {@link RateLimitRequest}, as the `RateLimit` and `Retry-After` headers need it.
 *
 * @example
 * ```ts
 * const decision: RateLimitDecision = { allowed: false, remaining: 0, resetMs: 412, retryAfterMs: 412 }
 * const t = Math.ceil(decision.resetMs / 1000) // RateLimit: "default";r=0;t=1
 * const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) // Retry-After: 1
 * ```
 */
export interface RateLimitDecision {
  /** Whether the request may proceed; its units were spent if so, and nothing changed if not. */
  readonly allowed: boolean
  /** Whole units left after this request (never negative). */
  readonly remaining: number
  /** Milliseconds until the next unit is available when `remaining` is 0, else until the budget is full again. */
  readonly resetMs: number
  /** Milliseconds until a request of this cost would pass: 0 when allowed; `Infinity` when its cost exceeds the limit. */
  readonly retryAfterMs: number
}
