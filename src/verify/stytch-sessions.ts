/**
 * @module
 * Asking Stytch about a session: `sessions.authenticate` and `sessions.revoke`, each taking a slot
 * of the project's limit of Stytch calls, within the call budget, with Stytch's failures turned
 * into the library's answers (401 for the token, 503 for an outage or our misconfiguration).
 */
import { StytchApiError, TokenVerificationError } from '../errors/auth-error.ts'
import type { Logger } from '../log/logger.ts'
import { callStytch, type CallPolicy } from './call-stytch.ts'
import { classifyStytchError, type StytchFailure } from './classify-stytch-error.ts'
import { sessionFromResponse } from './session-from-response.ts'
import type { VerifiedSession } from './session-verifier.ts'
import type { StytchApi } from './stytch-api.ts'
import type { VerificationLimiter } from './verification-limiter.ts'

/** A session token or a session JWT, as Stytch's session endpoints take them. */
export type SessionBody = { readonly session_token: string } | { readonly session_jwt: string }

/** What {@link StytchSessions} needs. */
export interface StytchSessionsOptions {
  readonly api: StytchApi
  readonly policy: CallPolicy
  readonly logger: Logger
  /**
   * The project's limit of calls to Stytch, and the longest a request waits for a slot (ms). Only
   * calls to Stytch take a slot: tokens refused locally cost none.
   */
  readonly limiter: VerificationLimiter
  readonly maxWaitMs: number
}

/**
 * Stytch's session endpoints, limited and bounded.
 *
 * @example
 * ```ts
 * const sessions = new StytchSessions({ api, policy, logger, limiter, maxWaitMs: 2_000 })
 * const { auth } = await sessions.authenticate({ session_token })
 * ```
 */
export class StytchSessions {
  readonly #options: StytchSessionsOptions
  readonly #policy: CallPolicy

  constructor(options: StytchSessionsOptions) {
    this.#options = options
    // A retry is a call to Stytch too: it takes a slot, or the call ends with its error.
    this.#policy = { ...options.policy, mayRetry: () => options.limiter.tryAcquire() }
  }

  /** The session Stytch verifies; 401 when Stytch says the token is bad, 503 when it cannot say. */
  async authenticate(body: SessionBody): Promise<VerifiedSession> {
    const { api, limiter, maxWaitMs, logger } = this.#options
    await limiter.acquire(maxWaitMs)
    let response: unknown
    try {
      response = await callStytch(
        'sessions.authenticate',
        (signal) => api.authenticateSession(body, signal),
        this.#policy
      )
    } catch (error) {
      throw this.#errorFor(classifyStytchError(error))
    }
    const session = sessionFromResponse(response)
    if (!session) {
      logger.error('Stytch answered sessions.authenticate with an unexpected body shape')
      throw new StytchApiError()
    }
    return session
  }

  /** Ends the session at Stytch: `true` when Stytch revoked it, `false` when it did not know it. */
  async revoke(body: SessionBody): Promise<boolean> {
    const { api, limiter, maxWaitMs } = this.#options
    await limiter.acquire(maxWaitMs)
    try {
      await callStytch('sessions.revoke', (signal) => api.revokeSession(body, signal), this.#policy)
      return true
    } catch (error) {
      const failure = classifyStytchError(error)
      if (failure.kind === 'rejected') return false
      throw this.#errorFor(failure)
    }
  }

  /** The answer to a failed call. SDK errors are never attached: a `RequestError` holds the request body, token included. */
  #errorFor(failure: StytchFailure): TokenVerificationError | StytchApiError {
    const { logger } = this.#options
    const cause = new Error(
      `Stytch call failed: ${failure.status ?? 'no response'} ${failure.errorType ?? ''}`.trim()
    )
    if (failure.kind === 'rejected') return new TokenVerificationError({ cause })
    if (failure.kind === 'misconfigured')
      logger.error(
        `Stytch rejected this project's credentials (${failure.errorType}): check STYTCH_PROJECT_ID and STYTCH_SECRET (or the projectId/secret/client options)`
      )
    else
      logger.warn('Stytch unavailable', {
        status: failure.status ?? null,
        errorType: failure.errorType ?? null,
      })
    return new StytchApiError({
      cause,
      ...(failure.retryAfterSeconds ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
    })
  }
}
