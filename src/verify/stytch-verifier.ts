import type { B2BClient } from 'stytch'
import { StytchApiError, TokenVerificationError } from '../errors/auth-error.ts'
import type { Logger } from '../log/logger.ts'
import type { TokenKind } from '../credential/extract-credential.ts'
import { callStytch, type CallPolicy } from './call-stytch.ts'
import { classifyStytchError, type StytchFailure } from './classify-stytch-error.ts'
import { sessionFromResponse } from './session-from-response.ts'
import { stytchJwtVerifier } from './stytch-jwt.ts'
import type { SessionVerifier, VerifiedSession } from './session-verifier.ts'
import type { VerificationLimiter } from './verification-limiter.ts'

/** What {@link stytchVerifier} needs. */
export interface StytchVerifierOptions {
  readonly client: B2BClient
  readonly projectId: string
  /** Stytch API origin (JWT issuer and JWKS host), no trailing slash. */
  readonly baseUrl: string
  readonly policy: CallPolicy
  readonly logger: Logger
  /**
   * The rate limit of verifications with Stytch, and the longest a request waits for a slot (in
   * ms). Only calls to Stytch take a slot: tokens rejected locally (malformed, badly signed JWTs)
   * cost none, so a flood of them cannot keep real users out.
   */
  readonly limit?: { readonly limiter: VerificationLimiter; readonly maxWaitMs: number }
}

/**
 * Opaque Stytch session tokens are base64url (44 characters today). Anything else is rejected
 * without asking Stytch, so random garbage cannot spend the project's API quota.
 */
const SESSION_TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,256}$/

/**
 * The default {@link SessionVerifier}: session tokens through `sessions.authenticate` of the
 * official SDK; session JWTs verified locally against the JWKS, asking Stytch only for a validly
 * signed JWT past its 5-minute `exp` (whose session may still be alive). A badly signed or
 * malformed JWT is rejected without any call.
 *
 * @example
 * ```ts
 * const verifier = stytchVerifier({ client, projectId, baseUrl, policy: { timeoutMs: 10_000, maxRetries: 3 }, logger: console })
 * const { auth } = await verifier.verify(token, 'session_token')
 * ```
 */
export function stytchVerifier(options: StytchVerifierOptions): SessionVerifier {
  const { client, policy, logger, limit } = options
  const jwts = stytchJwtVerifier({ ...options, timeoutMs: policy.timeoutMs })
  // A retry is a call to Stytch too: it takes a slot, or the call ends with its error.
  const limited = limit ? { ...policy, mayRetry: () => limit.limiter.tryAcquire() } : policy

  const authenticate = async (body: Record<string, string>): Promise<VerifiedSession> => {
    await limit?.limiter.acquire(limit.maxWaitMs)
    let response: unknown
    try {
      response = await callStytch(
        client,
        'sessions.authenticate',
        (c) => c.sessions.authenticate(body),
        limited
      )
    } catch (error) {
      throw errorFor(classifyStytchError(error), logger)
    }
    const session = sessionFromResponse(response)
    if (!session) {
      logger.error('Stytch answered sessions.authenticate with an unexpected body shape')
      throw new StytchApiError()
    }
    return session
  }

  return {
    async verify(token: string, kind: TokenKind): Promise<VerifiedSession> {
      if (kind === 'session_token') {
        if (!SESSION_TOKEN_SHAPE.test(token)) throw new TokenVerificationError()
        return authenticate({ session_token: token })
      }
      const outcome = await jwts.verify(token)
      switch (outcome.status) {
        case 'valid':
          return outcome.verified
        case 'expired':
          return authenticate({ session_jwt: token })
        case 'invalid':
          logger.debug(`JWT rejected locally: ${outcome.reason}`)
          throw new TokenVerificationError()
        case 'unavailable':
          logger.warn('Stytch JWKS unreachable: session JWTs cannot be verified', {
            error: describe(outcome.cause),
          })
          throw new StytchApiError()
      }
    },

    async revoke(token: string, kind: TokenKind): Promise<void> {
      const body = kind === 'session_jwt' ? { session_jwt: token } : { session_token: token }
      try {
        await callStytch(client, 'sessions.revoke', (c) => c.sessions.revoke(body), policy)
      } catch (error) {
        const failure = classifyStytchError(error)
        if (failure.kind !== 'rejected') throw errorFor(failure, logger)
        // Stytch does not know the session: it is already gone.
      }
    },
  }
}

/** The error a request gets for a failed Stytch call. SDK errors are never attached: a `RequestError` holds the request body, token included. */
function errorFor(failure: StytchFailure, logger: Logger): TokenVerificationError | StytchApiError {
  const cause = new Error(
    `Stytch call failed: ${failure.status ?? 'no response'} ${failure.errorType ?? ''}`.trim()
  )
  if (failure.kind === 'rejected') return new TokenVerificationError({ cause })
  if (failure.kind === 'misconfigured') {
    logger.error(
      `Stytch rejected this project's credentials (${failure.errorType}): check STYTCH_PROJECT_ID and STYTCH_SECRET (or the projectId/secret/client options)`
    )
  } else {
    logger.warn('Stytch unavailable', {
      status: failure.status ?? null,
      errorType: failure.errorType ?? null,
    })
  }
  return new StytchApiError({ cause })
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
