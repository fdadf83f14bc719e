import { emissionIntervalUs } from './emission-interval.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'

/**
 * The rate-limit decision, GCRA (the generic cell rate algorithm), as pure arithmetic: every store
 * decides with it (the in-process one calls it; the Redis script is its transcription).
 *
 * A key's whole state is one number, its theoretical arrival time (TAT, µs since the epoch), kept
 * until the key's budget is full again (then it is as good as absent). With T = the emission interval
 * ({@link emissionIntervalUs}) and τ = T · limit, a request of cost c at `now`:
 * - `backlog = max(TAT − now, 0)`, the time until the budget is full; `after = backlog + c · T`;
 * - passes when `after ≤ τ`, and then the new TAT is `now + after`; a denied request changes nothing;
 * - a negative cost gives units back (a refund: `after = max(backlog + c · T, 0)`, never more than a
 *   full budget), and always passes;
 * - `remaining = floor((τ − backlog′) / T)`, with backlog′ = `after` if it passed, else `backlog`;
 * - `resetMs` = time until full (backlog′), or until the next unit (`backlog′ − τ + T`) when none remains;
 * - `retryAfterMs = after − τ` when denied; `Infinity` when c > limit, which can never pass.
 *
 * Worst case: a rested key may spend its whole `limit` at once, then gets a unit back every
 * `windowMs / limit`. So any window-long span holds at most `2 · limit − 1` admissions (a full burst
 * at its start, `limit − 1` units refilled before it ends: 199 for 100 per minute), one instant at
 * most `limit`, and the long-run rate is `limit` per window. (A fixed window admits `2 · limit` in an
 * instant at its boundary.)
 *
 * @param nowUs the clock, in µs since the epoch
 * @param tatUs the key's stored TAT, `undefined` when absent
 * @returns the decision, and the TAT to store until `newTatUs − nowUs` has passed (`undefined`: write
 *   nothing; `nowUs`: the budget is full again, so the key may go)
 *
 * @example
 * ```ts
 * const request = { limit: 2, windowMs: 1000, cost: 1 }
 * const first = decideGcra(0, undefined, request) // allowed, remaining 1, newTatUs 500_000
 * const second = decideGcra(0, first.newTatUs, request) // allowed, remaining 0, resetMs 500
 * decideGcra(0, second.newTatUs, request).decision.retryAfterMs // 500: denied, nothing to store
 * ```
 */
export function decideGcra(
  nowUs: number,
  tatUs: number | undefined,
  request: RateLimitRequest
): { readonly decision: RateLimitDecision; readonly newTatUs: number | undefined } {
  const intervalUs = emissionIntervalUs(request)
  const toleranceUs = intervalUs * request.limit
  const backlogUs = Math.max((tatUs ?? nowUs) - nowUs, 0)
  // The decision, given the backlog left after it (µs until the budget is full again).
  const decisionWith = (allowed: boolean, leftUs: number, retryAfterMs: number) => {
    const remaining = Math.max(Math.floor((toleranceUs - leftUs) / intervalUs), 0)
    const resetUs = remaining === 0 ? leftUs - toleranceUs + intervalUs : leftUs
    return { allowed, remaining, resetMs: resetUs / 1000, retryAfterMs }
  }
  if (request.cost > request.limit)
    return { decision: decisionWith(false, backlogUs, Infinity), newTatUs: undefined }
  const afterUs = Math.max(backlogUs + request.cost * intervalUs, 0)
  if (afterUs > toleranceUs)
    return {
      decision: decisionWith(false, backlogUs, (afterUs - toleranceUs) / 1000),
      newTatUs: undefined,
    }
  return {
    decision: decisionWith(true, afterUs, 0),
    // A refund writes only when there was something to give back.
    newTatUs: request.cost > 0 || (request.cost < 0 && backlogUs > 0) ? nowUs + afterUs : undefined,
  }
}
