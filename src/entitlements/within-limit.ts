/**
 * @module
 * Reading an organization's loaded entitlements, for the guards and for handlers.
 */
import type { EntitledAuthContext, Principal } from '../context/auth-env.ts'
import {
  EntitlementsNotConfiguredError,
  EntitlementsUnavailableError,
} from '../errors/auth-error.ts'

/** The value of a subscription limit that means "no limit". */
export const UNLIMITED = -1

/**
 * Whether the organization may have `count` of something and add one more: true when its
 * subscription limit `name` is `-1` (unlimited) or greater than `count`; false when the limit is
 * reached or not set. Throws the 503 of an unreachable entitlement source rather than answering
 * false, so an outage never reads as "limit exceeded, upgrade".
 *
 * @example
 * ```ts
 * const projects = await db.projects.countDocuments({ organization_id: auth.mongoOrganizationId })
 * if (!withinLimit(c.var.auth, 'max_projects', projects)) return c.json({ error: 'limit_exceeded' }, 403)
 * ```
 */
export function withinLimit(auth: Principal, name: string, count: number): boolean {
  const limit = loadedEntitlements(auth).subscriptionLimits[name]
  if (limit === undefined) return false
  return limit === UNLIMITED || count < limit
}

/**
 * `auth` with its entitlements loaded, or the error to answer instead: 503 when the source is
 * unreachable (never an upgrade prompt), 403 when no source is configured or the organization has
 * no record in it, or when the principal is a machine (an M2M token belongs to no organization).
 *
 * @example
 * ```ts
 * const entitled = loadedEntitlements(c.var.auth)
 * entitled.entitlements.includes('foresight')
 * ```
 */
export function loadedEntitlements(auth: Principal): EntitledAuthContext {
  if (auth.kind === 'machine')
    throw new EntitlementsNotConfiguredError(
      'Entitlements belong to an organization: a machine token has none'
    )
  switch (auth.entitlementsStatus) {
    case 'loaded':
      return auth as EntitledAuthContext
    case 'unavailable':
      throw new EntitlementsUnavailableError()
    case 'unknown_organization':
      throw new EntitlementsNotConfiguredError('No subscription is recorded for this organization')
    case 'not_configured':
      throw new EntitlementsNotConfiguredError()
  }
}
