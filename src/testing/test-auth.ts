/**
 * @module
 * Helpers for testing your own app without Stytch, the network, or the emulator: a ready
 * `AuthContext` and a verifier that maps fake tokens to it. The TypeScript answer to the Python
 * guide's mocked-user fixture.
 */
import { AuthContext, type AuthContextFields } from '../context/auth-context.ts'
import { TokenVerificationError } from '../errors/auth-error.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'

/**
 * An {@link AuthContext} with realistic defaults (a session started now, expiring in an hour, a
 * password factor), overridden by `fields`. Entitlement fields given make it `loaded`.
 *
 * @example
 * ```ts
 * const admin = createAuthContext({
 *   sessionCustomClaims: { admin: true },
 *   entitlements: ['foresight'],
 *   subscriptionTier: 'premium',
 * })
 * ```
 */
export function createAuthContext(fields: Partial<AuthContextFields> = {}): AuthContext {
  const now = new Date()
  const entitled =
    fields.entitlements !== undefined ||
    fields.subscriptionTier !== undefined ||
    fields.subscriptionLimits !== undefined
  return new AuthContext({
    memberId: 'member-test-00000000-0000-4000-8000-000000000123',
    sessionId: 'member-session-test-00000000-0000-4000-8000-000000000456',
    organizationId: 'organization-test-00000000-0000-4000-8000-000000000789',
    organizationSlug: 'example',
    sessionStartedAt: now,
    sessionExpiresAt: new Date(now.getTime() + 3_600_000),
    sessionLastAccessedAt: now,
    authenticatedAt: now,
    memberEmail: 'test@example.com',
    memberName: 'Test User',
    sessionCustomClaims: {},
    authenticationFactors: ['password'],
    roles: ['stytch_member'],
    rawSession: {},
    ...(entitled ? { entitlementsStatus: 'loaded', entitlements: [], subscriptionLimits: {} } : {}),
    ...fields,
  })
}

/**
 * A {@link SessionVerifier} with no network: tokens map to contexts (one context for any token, a
 * record by token, or a function returning `null` to reject). Pass it to `stytchAuth({ verifier })`
 * with `entitlements: null`, so the contexts' own entitlements are used.
 *
 * @example
 * ```ts
 * const auth = stytchAuth({
 *   verifier: testVerifier({ 'admin-token': createAuthContext({ sessionCustomClaims: { admin: true } }) }),
 *   entitlements: null,
 * })
 * const res = await createApp({ auth }).request('/admin', { headers: { authorization: 'Bearer admin-token' } })
 * ```
 */
export function testVerifier(
  sessions:
    AuthContext | Readonly<Record<string, AuthContext>> | ((token: string) => AuthContext | null)
): SessionVerifier {
  const revoked = new Set<string>()
  const lookUp = (token: string): AuthContext | null => {
    if (revoked.has(token)) return null
    if (sessions instanceof AuthContext) return sessions
    if (typeof sessions === 'function') return sessions(token)
    return Object.hasOwn(sessions, token) ? (sessions[token] ?? null) : null
  }
  return {
    async verify(token) {
      const auth = lookUp(token)
      if (!auth || auth.isExpired) throw new TokenVerificationError()
      return { auth, validUntil: auth.sessionExpiresAt.getTime() }
    },
    async revoke(token) {
      revoked.add(token)
    },
  }
}
