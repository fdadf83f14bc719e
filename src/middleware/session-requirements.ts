/**
 * @module
 * Checks of a session against required custom claims and authentication factors.
 */
import type { ClaimRequirement } from '../config/stytch-auth-options.ts'
import type { AuthContext } from '../context/auth-context.ts'
import { MissingClaimsError, MissingFactorsError } from '../errors/auth-error.ts'

/**
 * The claims of `requirement` the session does not satisfy: a listed name must be present and not
 * `false`, `null` or `undefined`; a record's values must be equal (deep equality for objects).
 *
 * @example
 * ```ts
 * missingClaims(auth, ['admin'])          // [] when auth.sessionCustomClaims.admin is truthy-ish
 * missingClaims(auth, { role: 'owner' })  // ['role'] unless the role claim is 'owner'
 * ```
 */
export function missingClaims(auth: AuthContext, requirement: ClaimRequirement): string[] {
  const claims = auth.sessionCustomClaims
  if (isNameList(requirement)) {
    return requirement.filter((name) => {
      const value = claims[name]
      return value === undefined || value === null || value === false
    })
  }
  return Object.entries(requirement)
    .filter(([name, expected]) => !deepEqual(claims[name], expected))
    .map(([name]) => name)
}

/**
 * The factors the session lacks: each name is a Stytch factor `type` (`magic_link`, `sso`, `totp`,
 * …), except `mfa`, which means at least two distinct factor types.
 *
 * @example
 * ```ts
 * missingFactors(auth, ['mfa']) // ['mfa'] for a session authenticated by a magic link alone
 * ```
 */
export function missingFactors(auth: AuthContext, factors: readonly string[]): string[] {
  const held = new Set(auth.authenticationFactors)
  return factors.filter((factor) => (factor === 'mfa' ? held.size < 2 : !held.has(factor)))
}

/**
 * A check that throws the 403 of the first unmet requirement, or `undefined` when there are none.
 *
 * @example
 * ```ts
 * const check = sessionRequirements({ requiredClaims: ['admin'], requiredFactors: ['mfa'] })
 * check?.(auth) // throws MissingClaimsError or MissingFactorsError
 * ```
 */
export function sessionRequirements(requirements: {
  readonly requiredClaims?: ClaimRequirement | undefined
  readonly requiredFactors?: readonly string[] | undefined
}): ((auth: AuthContext) => void) | undefined {
  const { requiredClaims: claims, requiredFactors: factors } = requirements
  if (!claims && !factors?.length) return undefined
  return (auth) => {
    const lackingClaims = claims ? missingClaims(auth, claims) : []
    if (lackingClaims.length > 0) throw new MissingClaimsError(lackingClaims)
    const lackingFactors = factors ? missingFactors(auth, factors) : []
    if (lackingFactors.length > 0) throw new MissingFactorsError(lackingFactors)
  }
}

function isNameList(requirement: ClaimRequirement): requirement is readonly string[] {
  return Array.isArray(requirement)
}

function deepEqual(actual: unknown, expected: unknown): boolean {
  if (Object.is(actual, expected)) return true
  if (!isObject(actual) || !isObject(expected) || Array.isArray(actual) !== Array.isArray(expected))
    return false
  const keys = Object.keys(expected)
  return (
    keys.length === Object.keys(actual).length &&
    keys.every((key) => deepEqual(actual[key], expected[key]))
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
