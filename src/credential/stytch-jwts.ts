/**
 * @module
 * The JWTs a Stytch project signs (session JWTs, M2M and Connected Apps access tokens), as a
 * credential kind: verified locally against the project's keys; a session JWT past its 5-minute
 * `exp` is asked about once (its session may live on). Revoked at Stytch for a session; an access
 * token, which Stytch cannot revoke, is refused until its `exp`.
 */
import type { Principal } from '../context/auth-env.ts'
import { StytchApiError, TokenVerificationError } from '../errors/auth-error.ts'
import { describeError } from '../log/describe-error.ts'
import type { Logger } from '../log/logger.ts'
import type { StytchSessions } from '../verify/stytch-sessions.ts'
import {
  claimsSession,
  CLOCK_TOLERANCE_SECONDS,
  type StytchJwtVerifier,
} from '../verify/stytch-jwt.ts'
import type { CredentialKind } from './credential-kind.ts'
import { tokenKindOf } from './extract-credential.ts'

const MEMBER: readonly Principal['kind'][] = ['member']
const ACCESS: readonly Principal['kind'][] = ['machine', 'oauth']

/**
 * The Stytch JWT kind. `expiredJwtTtlMs` bounds how long a session JWT past its `exp` that Stytch
 * confirmed is served before Stytch is asked again.
 *
 * @example
 * ```ts
 * const kind = stytchJwts(jwts, sessions, logger, 10_000)
 * const { auth } = await kind.verify(jwt) // auth.kind: 'member' | 'machine' | 'oauth'
 * ```
 */
export function stytchJwts(
  jwts: StytchJwtVerifier,
  sessions: StytchSessions,
  logger: Logger,
  expiredJwtTtlMs: number
): CredentialKind {
  return {
    name: 'jwt',
    recognizes: (token) => tokenKindOf(token) === 'session_jwt',
    yields: (token) => (claimsSession(token) ? MEMBER : ACCESS),
    fleet: false,
    async verify(token) {
      const outcome = await jwts.verify(token)
      switch (outcome.status) {
        case 'valid':
          return outcome.verified
        case 'expired': {
          const { auth, validUntil } = await sessions.authenticate({ session_jwt: token })
          return { auth, validUntil: Math.min(validUntil, Date.now() + expiredJwtTtlMs) }
        }
        case 'invalid':
          logger.debug(`JWT rejected locally: ${outcome.reason}`)
          throw new TokenVerificationError()
        case 'unavailable':
          logger.warn('Stytch JWKS unreachable: JWTs cannot be verified', {
            error: describeError(outcome.cause),
          })
          throw new StytchApiError()
      }
    },
    async revoke(token, atSource) {
      const outcome = await jwts.verify(token)
      if (outcome.status === 'invalid') return undefined
      if (outcome.status === 'unavailable') throw new StytchApiError()
      const auth = outcome.status === 'valid' ? outcome.verified.auth : undefined
      // A session is ended at Stytch; its JWT still verifies here until `exp`, so it is refused that long.
      if (atSource && auth?.kind !== 'machine' && auth?.kind !== 'oauth')
        await sessions.revoke({ session_jwt: token })
      return outcome.status === 'valid'
        ? Math.max(0, outcome.verified.validUntil + CLOCK_TOLERANCE_SECONDS * 1000 - Date.now())
        : 0
    },
  }
}
