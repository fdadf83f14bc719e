import { AuthError } from '../errors/auth-error.ts'
import { rateLimitFields, type RateLimitState } from './rate-limit-headers.ts'

/**
 * What a {@link RateLimitedError} reports: the policy, the state of its budget, the wait.
 *
 * @example
 * ```ts
 * const details: RateLimitedDetails = { name: 'default', limit: 100, windowSeconds: 60, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1, cost: 1 }
 * ```
 */
export interface RateLimitedDetails extends RateLimitState {
  /** Whole seconds (≥ 1) until a request of this cost can pass; `null` when none ever can (its cost exceeds the limit). */
  readonly retryAfterSeconds: number | null
  /** Units the refused request would have spent. */
  readonly cost: number
}

/**
 * 429: a rate limit refused the request. The body says the policy and how long to wait
 * (`{"error":"rate_limited","type":"rate_limit","message":"Too many requests: 100 per 60 s","retry_after":17}`),
 * the headers say the same for machines: `Retry-After` (whole seconds, ≥ 1, never earlier than
 * `RateLimit`'s `t`), `RateLimit-Policy` and `RateLimit`, and `Cache-Control: no-store` (a 429 is
 * never to be cached). A request that costs more than the whole limit can never pass: its 429 has
 * no `Retry-After` (waiting would not help), `retry_after: null`, and a message that says so.
 *
 * @example
 * ```ts
 * app.onError((err, c) => {
 *   if (err instanceof RateLimitedError) return c.json({ wait: err.retryAfterSeconds }, 429, err.headers)
 *   return err instanceof AuthError ? err.getResponse() : c.text('Internal Server Error', 500)
 * })
 * ```
 */
export class RateLimitedError extends AuthError {
  /** Whole seconds to wait, or `null` when waiting would never help. */
  readonly retryAfterSeconds: number | null
  /** The policy and the state of its budget. */
  readonly details: RateLimitedDetails

  constructor(details: RateLimitedDetails) {
    const { limit, windowSeconds, cost, retryAfterSeconds } = details
    const quota = `${limit} per ${windowSeconds} s`
    super(
      429,
      {
        error: 'rate_limited',
        type: 'rate_limit',
        message:
          retryAfterSeconds === null
            ? `Too many requests: ${quota}, and this request costs ${cost}: it can never be admitted`
            : `Too many requests: ${quota}`,
        retry_after: retryAfterSeconds,
      },
      {
        headers: {
          ...(retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) }),
          ...rateLimitFields(details),
          'cache-control': 'no-store',
        },
      }
    )
    this.retryAfterSeconds = retryAfterSeconds
    this.details = details
  }
}
