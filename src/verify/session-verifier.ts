import type { Principal } from '../context/auth-env.ts'
import type { TokenKind } from '../credential/extract-credential.ts'

/**
 * A verified credential (a member's session, or an M2M or Connected Apps access token) and the
 * instant (epoch ms) after which it must be verified again.
 */
export interface VerifiedSession {
  readonly auth: Principal
  /** The earlier of the session's expiry and, for a JWT verified locally, the JWT's `exp`. */
  readonly validUntil: number
}

/**
 * Turns a token into a verified session. The default one (`stytchVerifier`) asks Stytch through
 * the official SDK for session tokens and verifies JWTs (session JWTs, M2M and Connected Apps
 * access tokens) locally against Stytch's JWKS.
 * `stytchAuth()` wraps any verifier with caching, single flight and negative caching.
 *
 * A verifier rejects with `TokenVerificationError` when the token is invalid, expired or revoked
 * (401), and with `StytchApiError` when it cannot tell (503).
 *
 * @example
 * ```ts
 * const verifier: SessionVerifier = {
 *   async verify(token) { return { auth: await lookUp(token), validUntil: Date.now() + 60_000 } },
 *   async revoke(token) { await forget(token) },
 * }
 * app.use('*', stytchAuth({ verifier }))
 * ```
 */
export interface SessionVerifier {
  verify(token: string, kind: TokenKind): Promise<VerifiedSession>
  /** Ends the session at its source; resolves when it is gone (or was already). */
  revoke(token: string, kind: TokenKind): Promise<void>
}
