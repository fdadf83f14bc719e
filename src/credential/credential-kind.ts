/**
 * @module
 * A kind of credential as the request function sees it: how it is recognized, checked, verified
 * and revoked. Stytch session tokens, Stytch JWTs (session JWTs, M2M and Connected Apps tokens),
 * API keys and Auth0 tokens are entries of this shape side by side, not branches of the pipeline.
 */
import type { Principal } from '../context/auth-env.ts'
import type { VerifiedSession } from '../verify/session-verifier.ts'

/**
 * One kind of credential.
 *
 * @example
 * ```ts
 * const kind = credentials.find((candidate) => candidate.recognizes(token))
 * if (!kind?.yields(token).some(route.accepts)) throw new TokenVerificationError()
 * const { auth, validUntil } = await kind.verify(token)
 * ```
 */
export interface CredentialKind {
  /** How logs and events name it, e.g. `session_token`. */
  readonly name: string
  /** Whether `token` is of this kind, by its shape alone (the first kind that recognizes it owns it). */
  recognizes(token: string): boolean
  /** What is wrong with the token's format, found with no lookup (a 401 `token_extraction`). */
  malformed?(token: string): string | undefined
  /** The principal kinds the token may verify to, read without verifying it (to refuse early). */
  yields(token: string): readonly Principal['kind'][]
  /** Verifies the token: the principal, and until when it may be served. */
  verify(token: string): Promise<VerifiedSession>
  /** Whether a cold token is verified once per fleet (the shared tier's lock). */
  readonly fleet: boolean
  /**
   * Ends the credential: at its source too when `atSource` (the credential a logout is made with),
   * else only here. Resolves how long it must still be refused (ms: its verified remaining life; 0
   * for the shortest refusal), or `undefined` when it is no credential of this project.
   */
  revoke(token: string, atSource: boolean): Promise<number | undefined>
}
