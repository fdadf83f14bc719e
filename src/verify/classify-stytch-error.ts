/**
 * @module
 * What a failed Stytch call means for the request. An HTTP error (ours or the SDK's `StytchError`:
 * a status ≥ 400 with a JSON body) is recognised by shape, so a client from another copy of the
 * SDK works too; a network failure, a timeout or the SDK's `RequestError` means Stytch was not asked.
 */
import { TimeoutError } from '../runtime/with-timeout.ts'
import { StytchRequestError } from './stytch-api.ts'

/** The meaning of a failed Stytch call. */
export interface StytchFailure {
  /**
   * `rejected`: Stytch says the token is bad (401 to the user). `unavailable`: Stytch could not be
   * asked (503). `misconfigured`: our project id or secret is wrong (503 and an ERROR log, never a
   * 401 that would log every user out).
   */
  readonly kind: 'rejected' | 'unavailable' | 'misconfigured'
  /** Whether trying again may succeed: network errors, 429 and 5xx. */
  readonly retryable: boolean
  /** Stytch's HTTP status and `error_type`, when it answered. */
  readonly status?: number
  readonly errorType?: string
  /** Seconds Stytch asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds?: number
}

/** `error_type`s that mean the project's credentials, not the user's token, are wrong. */
const CREDENTIAL_ERRORS = new Set([
  'unauthorized_credentials',
  'invalid_secret_authentication',
  'invalid_project_id',
  'project_not_found',
  'invalid_project_id_authentication',
])

/**
 * Classifies an error thrown by a `stytch` SDK call.
 *
 * @example
 * ```ts
 * classifyStytchError(err) // { kind: 'rejected', retryable: false, status: 404, errorType: 'session_not_found' }
 * ```
 */
export function classifyStytchError(error: unknown): StytchFailure {
  if (isStytchError(error)) {
    const status = error.status_code
    const errorType = error.error_type
    const { retryAfterSeconds } = error as { retryAfterSeconds?: number }
    if (status === 429 || status >= 500)
      return {
        kind: 'unavailable',
        retryable: true,
        status,
        errorType,
        ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
      }
    // Only an error about our credentials is ours; a 401 about the token (a JWT Stytch cannot
    // parse or no longer trusts) is the token's.
    if (CREDENTIAL_ERRORS.has(errorType))
      return { kind: 'misconfigured', retryable: false, status, errorType }
    return { kind: 'rejected', retryable: false, status, errorType }
  }
  return { kind: 'unavailable', retryable: isRequestError(error) }
}

function isStytchError(error: unknown): error is { status_code: number; error_type: string } {
  if (typeof error !== 'object' || error === null) return false
  const { status_code: status, error_type: type } = error as Record<string, unknown>
  return typeof status === 'number' && typeof type === 'string'
}

/** A failure to ask: ours (a network error, a timeout), or the SDK's `RequestError`. */
function isRequestError(error: unknown): boolean {
  return (
    error instanceof StytchRequestError ||
    error instanceof TimeoutError ||
    (error instanceof Error && 'request' in error)
  )
}
