import type { MiddlewareHandler } from 'hono'
import type { ClaimRequirement } from '../config/stytch-auth-options.ts'
import type { AuthEnv } from '../context/auth-env.ts'
import { MissingClaimsError } from '../errors/auth-error.ts'
import { guard } from './guard.ts'
import { missingClaims } from './session-requirements.ts'

/**
 * Lets a request through only if its session carries these custom claims: each named claim present
 * and not `false`/`null`, or, given a record, each claim equal to its value. Otherwise 403
 * `insufficient_permissions`.
 *
 * @example
 * ```ts
 * app.get('/admin', requireClaims('admin'), handler)
 * app.get('/billing', requireClaims({ role: 'billing' }), handler)
 * ```
 */
export function requireClaims(
  ...claims: string[] | [Readonly<Record<string, unknown>>]
): MiddlewareHandler<AuthEnv> {
  const requirement: ClaimRequirement =
    typeof claims[0] === 'object' ? claims[0] : (claims as string[])
  return guard<AuthEnv>((auth) => {
    const missing = missingClaims(auth, requirement)
    if (missing.length > 0) throw new MissingClaimsError(missing)
  })
}
