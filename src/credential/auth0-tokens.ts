/**
 * @module
 * Auth0 access tokens, as a credential kind: verified locally against the tenant's JWKS (once per
 * token: the principal is then served from process memory until `exp`), a user's token giving a
 * `UserContext`, an M2M application's a `MachineContext`. Auth0 cannot revoke an access token, so
 * a revoked one is refused here until its `exp`.
 */
import { decodeJwt } from 'jose'
import type { Auth0Principal } from '../auth0/auth0-principal.ts'
import { CLOCK_TOLERANCE_SECONDS, type Auth0TokenVerifier } from '../auth0/auth0-token-verifier.ts'
import type { Principal } from '../context/auth-env.ts'
import { MachineContext } from '../context/token-contexts.ts'
import { UserContext } from '../context/user-context.ts'
import { Auth0ApiError, TokenVerificationError } from '../errors/auth-error.ts'
import { describeError } from '../log/describe-error.ts'
import type { Logger } from '../log/logger.ts'
import type { CredentialKind } from './credential-kind.ts'
import { tokenKindOf } from './extract-credential.ts'

const USER: readonly Principal['kind'][] = ['user']
const MACHINE: readonly Principal['kind'][] = ['machine']
const NOTHING: readonly Principal['kind'][] = []
/** What `sub` of a client-credentials token ends with: `{client_id}@clients`. */
const CLIENTS_SUFFIX = '@clients'

/**
 * The Auth0 access-token kind of one tenant and API.
 *
 * @example
 * ```ts
 * const kind = auth0Tokens(auth0TokenVerifier({ issuer, jwksUrl, audience, timeoutMs: 5000 }), logger)
 * const { auth } = await kind.verify(token) // auth.kind: 'user' | 'machine'
 * ```
 */
export function auth0Tokens(verifier: Auth0TokenVerifier, logger: Logger): CredentialKind {
  return {
    name: 'auth0',
    recognizes: (token) => tokenKindOf(token) === 'session_jwt',
    yields: yieldsOf,
    fleet: false,
    async verify(token) {
      const outcome = await verifier.verify(token)
      switch (outcome.status) {
        case 'valid':
          return { auth: contextOf(outcome.principal), validUntil: outcome.validUntil }
        case 'invalid':
          logger.debug(`Auth0 token rejected: ${outcome.reason}`)
          throw new TokenVerificationError()
        case 'unavailable':
          logger.warn(
            'Auth0 JWKS unreachable and no signing key cached: tokens cannot be verified',
            {
              error: describeError(outcome.cause),
            }
          )
          throw new Auth0ApiError({ cause: outcome.cause })
      }
    },
    // Auth0 has no revocation of access tokens: refused here while it would still verify.
    async revoke(token) {
      const outcome = await verifier.verify(token)
      if (outcome.status === 'unavailable') throw new Auth0ApiError({ cause: outcome.cause })
      if (outcome.status === 'invalid') return undefined
      return Math.max(0, outcome.validUntil + CLOCK_TOLERANCE_SECONDS * 1000 - Date.now())
    },
  }
}

/**
 * Whether a token claims to be a machine's or a user's, read without verifying it (only ever used
 * to refuse it early, on a route that accepts the other kind); nothing for a token that is no JWT.
 */
function yieldsOf(token: string): readonly Principal['kind'][] {
  try {
    const { gty, sub } = decodeJwt(token)
    const machine =
      gty === 'client-credentials' || (typeof sub === 'string' && sub.endsWith(CLIENTS_SUFFIX))
    return machine ? MACHINE : USER
  } catch {
    return NOTHING
  }
}

/** The context of a verified principal: a user, or a machine (whose organization claims it drops). */
function contextOf(principal: Auth0Principal): UserContext | MachineContext {
  if (principal.kind === 'user') return new UserContext(principal)
  const { clientId, permissions, scopes, expiresAt, authenticatedAt } = principal
  return new MachineContext({
    clientId,
    permissions,
    scopes,
    customClaims: {},
    expiresAt,
    authenticatedAt,
  })
}
