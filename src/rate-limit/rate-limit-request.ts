/**
 * One decision asked of a rate limit: may `cost` units of a key's budget be spent, the budget being
 * `limit` units per `windowMs`? The limit and window come with every request, so a plan change
 * applies to the very next one.
 *
 * @example
 * ```ts
 * const request: RateLimitRequest = { limit: 100, windowMs: 60_000, cost: 1 }
 * const decision = await store.consume?.('ayz:rl:default:3f2a9c', request)
 * ```
 */
export interface RateLimitRequest {
  /** Units the key may spend per window: a positive integer. */
  readonly limit: number
  /** The window, in milliseconds (positive; a unit every `windowMs / limit` ms at the steady rate). */
  readonly windowMs: number
  /**
   * Units this request spends: an integer (0 only reads the state; more than `limit` never passes;
   * a negative cost gives that many units back, up to a full budget, and always passes).
   */
  readonly cost: number
}
