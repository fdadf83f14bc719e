/**
 * @module
 * A user's `SessionVerifier` (`verifier` option; `testVerifier` of `ayz-auth/testing`) as the one
 * credential kind of its runtime: it vouches for every token, and for its own sessions.
 */
import type { Principal } from '../context/auth-env.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'
import type { CredentialKind } from './credential-kind.ts'
import { tokenKindOf } from './extract-credential.ts'

const ANY: readonly Principal['kind'][] = ['member', 'machine', 'oauth']

/**
 * The kind of a custom verifier.
 *
 * @example
 * ```ts
 * const kinds = [customVerifier(testVerifier(createAuthContext()))]
 * ```
 */
export function customVerifier(verifier: SessionVerifier): CredentialKind {
  return {
    name: 'custom',
    recognizes: () => true,
    yields: () => ANY,
    fleet: false,
    verify: (token) => verifier.verify(token, tokenKindOf(token)),
    // The verifier answers for its tokens from now on: a revocation is refused here only while a
    // verification started before it may still return.
    async revoke(token, atSource) {
      if (atSource) await verifier.revoke(token, tokenKindOf(token))
      return 0
    },
  }
}
