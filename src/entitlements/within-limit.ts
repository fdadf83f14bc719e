import type { AuthContext } from '../context/auth-context.ts'
import { loadedEntitlements } from './loaded-entitlements.ts'

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
export function withinLimit(auth: AuthContext, name: string, count: number): boolean {
  const limit = loadedEntitlements(auth).subscriptionLimits[name]
  if (limit === undefined) return false
  return limit === UNLIMITED || count < limit
}
