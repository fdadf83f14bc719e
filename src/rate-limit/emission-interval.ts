import type { RateLimitRequest } from './rate-limit-request.ts'

/** The longest window (100 years): keeps every time in microseconds an exact double. */
const MAX_WINDOW_MS = 100 * 365.25 * 24 * 3600 * 1000

/**
 * The emission interval T of a request, in whole microseconds: `floor(windowMs · 1000 / limit)`, the
 * time one unit takes to come back. Whole microseconds keep the arithmetic exact (no drift), so a
 * fresh key admits exactly `limit` units; the window becomes `T · limit`, shorter than `windowMs` by
 * less than `limit` µs. Throws a `RangeError` for a request no store can decide.
 *
 * @example
 * ```ts
 * emissionIntervalUs({ limit: 100, windowMs: 60_000, cost: 1 }) // 600_000 (a unit every 0.6 s)
 * emissionIntervalUs({ limit: 7, windowMs: 60_000, cost: 1 }) // 8_571_428
 * ```
 */
export function emissionIntervalUs({ limit, windowMs, cost }: RateLimitRequest): number {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`rate limit: limit must be a positive integer, got ${limit}`)
  if (!Number.isSafeInteger(cost))
    throw new RangeError(`rate limit: cost must be an integer, got ${cost}`)
  if (!(windowMs > 0 && windowMs <= MAX_WINDOW_MS))
    throw new RangeError(
      `rate limit: windowMs must be positive and at most 100 years, got ${windowMs}`
    )
  const intervalUs = Math.floor((windowMs * 1000) / limit)
  if (intervalUs < 1)
    throw new RangeError(
      `rate limit: ${limit} units per ${windowMs} ms is more than one per microsecond`
    )
  return intervalUs
}
