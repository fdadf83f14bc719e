/**
 * @module
 * One Stytch call within a time budget, retrying what is safe to retry (network errors, 429, 5xx)
 * with jittered exponential backoff, each attempt bounded by the one timeout of the library.
 */
import { withTimeout } from '../runtime/with-timeout.ts'
import type { Telemetry } from '../telemetry/telemetry.ts'
import { classifyStytchError } from './classify-stytch-error.ts'

/** The time budget of one Stytch call. */
export interface CallPolicy {
  /** Milliseconds the whole call may take, retries and backoff included. */
  readonly timeoutMs: number
  /** Retries after the first attempt, for network errors, 429 and 5xx only. */
  readonly maxRetries: number
  /** Asked before each retry (a free verification slot); `false` ends the call with its error. */
  readonly mayRetry?: () => boolean
  /** Reports each call (a child span, retries as its events, a duration), when telemetry is on. */
  readonly telemetry?: Telemetry | undefined
}

/** The shortest attempt worth making when the budget is split between attempts. */
const MIN_ATTEMPT_MS = 1000
const BASE_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 1000

/**
 * Calls Stytch within `policy`'s budget; `call` gets the attempt's signal.
 *
 * @example
 * ```ts
 * const body = await callStytch('sessions.authenticate', (signal) => api.authenticateSession({ session_token }, signal), {
 *   timeoutMs: 10_000,
 *   maxRetries: 3,
 * })
 * ```
 */
export async function callStytch<T>(
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
  policy: CallPolicy
): Promise<T> {
  const observed = policy.telemetry?.upstream('stytch', operation)
  const deadline = Date.now() + policy.timeoutMs
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - Date.now()
    const attemptsLeft = policy.maxRetries - attempt + 1
    const attemptMs = Math.min(remaining, Math.max(remaining / attemptsLeft, MIN_ATTEMPT_MS))
    try {
      const result = await withTimeout(Math.max(1, Math.ceil(attemptMs)), call)
      observed?.end('ok')
      return result
    } catch (error) {
      const failure = classifyStytchError(error)
      const backoff =
        Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2)
      const retry =
        attempt < policy.maxRetries &&
        failure.retryable &&
        Date.now() + backoff < deadline &&
        (policy.mayRetry?.() ?? true)
      if (!retry) {
        // A Stytch 4xx about the token is an answer, not a failed call.
        observed?.end(failure.kind === 'rejected' ? 'ok' : 'error')
        throw error
      }
      observed?.retry(attempt + 1, String(failure.status ?? 'network'))
      await new Promise((resolve) => setTimeout(resolve, backoff))
    }
  }
}
