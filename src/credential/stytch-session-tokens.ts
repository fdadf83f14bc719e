/**
 * @module
 * Stytch's opaque session tokens, as a credential kind: verified by Stytch (`sessions.authenticate`,
 * once per fleet), revoked there (`sessions.revoke`).
 */
import type { Principal } from '../context/auth-env.ts'
import { TokenVerificationError } from '../errors/auth-error.ts'
import type { StytchSessions } from '../verify/stytch-sessions.ts'
import type { CredentialKind } from './credential-kind.ts'

/**
 * Opaque Stytch session tokens are base64url (44 characters today). Anything else is refused
 * without asking Stytch, so random garbage cannot spend the project's API quota.
 */
const SESSION_TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,256}$/
const MEMBER: readonly Principal['kind'][] = ['member']

/**
 * The session-token kind: every token no earlier kind (an API key, a JWT) recognized.
 *
 * @example
 * ```ts
 * const kinds = [stytchJwts(jwts, sessions, logger, 10_000), stytchSessionTokens(sessions)]
 * ```
 */
export function stytchSessionTokens(sessions: StytchSessions): CredentialKind {
  return {
    name: 'session_token',
    recognizes: () => true,
    yields: () => MEMBER,
    fleet: true,
    async verify(token) {
      if (!SESSION_TOKEN_SHAPE.test(token)) throw new TokenVerificationError()
      return sessions.authenticate({ session_token: token })
    },
    async revoke(token, atSource) {
      if (!SESSION_TOKEN_SHAPE.test(token)) return undefined
      if (!atSource) return 0
      return (await sessions.revoke({ session_token: token })) ? 0 : undefined
    },
  }
}
