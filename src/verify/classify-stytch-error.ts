/**
 * @module
 * What a failed Stytch call means for the request. The SDK throws `StytchError` (an HTTP status ≥
 * 400 with a JSON body) and `RequestError` (network failure, abort, non-JSON body); both are
 * recognised by shape, so a client from another copy of the SDK works too.
 */

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
}

/** `error_type`s that mean the project's credentials, not the user's token, are wrong. */
const CREDENTIAL_ERRORS = new Set([
  'unauthorized_credentials',
  'invalid_secret_authentication',
  'invalid_project_id',
  'project_not_found',
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
    if (status === 429 || status >= 500)
      return { kind: 'unavailable', retryable: true, status, errorType }
    if (status === 401 || status === 403 || CREDENTIAL_ERRORS.has(errorType)) {
      return { kind: 'misconfigured', retryable: false, status, errorType }
    }
    return { kind: 'rejected', retryable: false, status, errorType }
  }
  return { kind: 'unavailable', retryable: isRequestError(error) }
}

function isStytchError(error: unknown): error is { status_code: number; error_type: string } {
  if (typeof error !== 'object' || error === null) return false
  const { status_code: status, error_type: type } = error as Record<string, unknown>
  return typeof status === 'number' && typeof type === 'string'
}

function isRequestError(error: unknown): boolean {
  return error instanceof Error && 'request' in error
}
