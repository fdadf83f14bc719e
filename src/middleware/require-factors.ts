import type { MiddlewareHandler } from 'hono'
import type { AuthEnv } from '../context/auth-env.ts'
import { MissingFactorsError } from '../errors/auth-error.ts'
import { guard } from './guard.ts'
import { missingFactors } from './session-requirements.ts'

/**
 * Lets a request through only if its session was authenticated with these factors: Stytch factor
 * `type`s (`magic_link`, `sso`, `totp`, `password`, …), or `mfa` for two or more distinct factors.
 * Otherwise 403 `insufficient_authentication`.
 *
 * @example
 * ```ts
 * app.get('/admin', requireClaims('admin'), requireFactors('mfa'), handler)
 * app.get('/sso-only', requireFactors('sso'), handler)
 * ```
 */
export function requireFactors(...factors: string[]): MiddlewareHandler<AuthEnv> {
  return guard<AuthEnv>((auth) => {
    const missing = missingFactors(auth, factors)
    if (missing.length > 0) throw new MissingFactorsError(missing)
  })
}
