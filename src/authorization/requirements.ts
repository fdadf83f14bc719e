/**
 * @module
 * The decide stage's rules about a principal itself: custom claims, authentication factors and
 * tenancy. Shared by `stytchAuth({ requiredClaims, requiredFactors })` and the guards.
 */
import type { ClaimRequirement } from '../config/stytch-auth-options.ts'
import type { Principal } from '../context/auth-env.ts'
import { deepEqual } from '../context/deep-equal.ts'
import {
  MissingClaimsError,
  MissingFactorsError,
  TenancyMismatchError,
} from '../errors/auth-error.ts'

/**
 * The claims of `requirement` a principal does not satisfy (a session's custom claims, or an access
 * token's): a listed name must be the principal's own claim and not `false`, `null` or
 * `undefined` (an inherited name such as `constructor` is no claim); a record's values must be
 * equal (deep equality for objects).
 *
 * @example
 * ```ts
 * missingClaims(auth, ['admin'])          // [] when auth.sessionCustomClaims.admin is set
 * missingClaims(auth, { role: 'owner' })  // ['role'] unless the role claim is 'owner'
 * ```
 */
export function missingClaims(auth: Principal, requirement: ClaimRequirement): string[] {
  const claims: Readonly<Record<string, unknown>> =
    auth.kind === 'member'
      ? auth.sessionCustomClaims
      : 'customClaims' in auth
        ? auth.customClaims
        : {}
  const claim = (name: string) => (Object.hasOwn(claims, name) ? claims[name] : undefined)
  if (Array.isArray(requirement))
    return (requirement as readonly string[]).filter((name) => {
      const value = claim(name)
      return value === undefined || value === null || value === false
    })
  return Object.entries(requirement)
    .filter(([name, expected]) => !deepEqual(claim(name), expected))
    .map(([name]) => name)
}

/**
 * The factors a principal lacks: each name is a Stytch factor `type` (`magic_link`, `sso`,
 * `totp`, …), except `mfa`, which means at least two distinct factor types. Only a member's
 * session has factors.
 *
 * @example
 * ```ts
 * missingFactors(auth, ['mfa']) // ['mfa'] for a session authenticated by a magic link alone
 * ```
 */
export function missingFactors(auth: Principal, factors: readonly string[]): string[] {
  const held = new Set(auth.kind === 'member' ? auth.authenticationFactors : [])
  return factors.filter((factor) => (factor === 'mfa' ? held.size < 2 : !held.has(factor)))
}

/**
 * A check throwing the 403 of the first unmet `requiredClaims`/`requiredFactors`, or `undefined`
 * when none are set.
 *
 * @example
 * ```ts
 * const decide = requirementsOf({ requiredFactors: ['mfa'] })
 * decide?.(auth) // throws MissingFactorsError for a single-factor session
 * ```
 */
export function requirementsOf(options: {
  readonly requiredClaims?: ClaimRequirement | undefined
  readonly requiredFactors?: readonly string[] | undefined
}): ((auth: Principal) => void) | undefined {
  const { requiredClaims: claims, requiredFactors: factors } = options
  if (!claims && !factors?.length) return undefined
  return (auth) => {
    const lackingClaims = claims ? missingClaims(auth, claims) : []
    if (lackingClaims.length > 0) throw new MissingClaimsError(lackingClaims)
    const lackingFactors = factors ? missingFactors(auth, factors) : []
    if (lackingFactors.length > 0) throw new MissingFactorsError(lackingFactors)
  }
}

/**
 * The shape of a Stytch organization id (`organization-test-<uuid>`, `organization-live-<uuid>`),
 * in any case. Stytch's slug alphabet allows this shape too, so a value of it is only ever an id.
 */
const ORGANIZATION_ID_SHAPE = /^organization-(test|live)-[0-9a-f-]{36}$/i

/**
 * Throws 403 `tenancy_mismatch` unless the named organization (an id, or a slug) is the
 * principal's. Naming none (`undefined` or `null`: a missing parameter, an absent query value) is a
 * mismatch, never a pass. An id-shaped name never matches a slug: else an organization whose slug
 * is another one's id would pass for it, on a route that reads the parameter as an id.
 *
 * @example
 * ```ts
 * checkTenancy(auth, c.req.param('orgId'))
 * ```
 */
export function checkTenancy(auth: Principal, organization: string | null | undefined): void {
  const { organizationId, organizationSlug } = tenancyOf(auth)
  if (
    typeof organization !== 'string' ||
    organizationId === null ||
    (organization !== organizationId &&
      (ORGANIZATION_ID_SHAPE.test(organization) ||
        organizationSlug === null ||
        organization !== organizationSlug))
  )
    throw new TenancyMismatchError()
}

/** The organization a principal belongs to, by id and slug (`null`: none, e.g. a machine). */
function tenancyOf(auth: Principal): {
  organizationId: string | null
  organizationSlug: string | null
} {
  if (auth.kind === 'machine') return { organizationId: null, organizationSlug: null }
  return { organizationId: auth.organizationId, organizationSlug: auth.organizationSlug }
}
