/**
 * @module
 * Telling every instance that a member's team or an organization's plan changed, so cached
 * entitlements (`teamTtl`, the organization's hour) are read again on the next request.
 */
import type { Context } from 'hono'
import { bindingOf } from '../middleware/authenticate.ts'
import { throughEveryTier } from '../middleware/revoke-session.ts'
import { defaultHolder } from '../runtime/runtime-holder.ts'
import type { Runtime } from '../runtime/runtime.ts'

/**
 * Drops `id`'s record of `shape` from every tier of every instance: through the runtime of the
 * `stytchAuth()` of `c` (else the environment's), and every running mount of its project.
 */
async function invalidated(c: Context, shape: 'member' | 'org', id: string): Promise<void> {
  const runtime: Runtime = (bindingOf(c) ?? (await defaultHolder().get(c))).runtime
  await throughEveryTier(runtime, (revocations) => revocations.forget([id], shape))
}

/**
 * Makes every instance read the member's user and team again on its next request: call it where
 * your app changes a member's current team, so `teamTtl` can cache teams safely. In process and,
 * through the shared tier's channel, on every instance at once (within `l1Ttl` where it cannot
 * push).
 *
 * @example
 * ```ts
 * app.post('/api/teams/:id/join', async (c) => {
 *   await db.users.updateOne({ stytch_member_id: c.var.auth.memberId }, { $set: { current_team_id } })
 *   await invalidateMember(c, c.var.auth.memberId)
 *   return c.body(null, 204)
 * })
 * ```
 */
export function invalidateMember(c: Context, memberId: string): Promise<void> {
  return invalidated(c, 'member', memberId)
}

/**
 * Makes every instance read the organization's subscription (tier, entitlements, limits) again on
 * its next request, instead of within the hour it is cached: call it where your app changes a plan.
 *
 * @example
 * ```ts
 * await db.organizations.updateOne({ stytch_org_id }, { $set: { subscription_tier: 'premium' } })
 * await invalidateOrganization(c, stytch_org_id)
 * ```
 */
export function invalidateOrganization(c: Context, organizationId: string): Promise<void> {
  return invalidated(c, 'org', organizationId)
}
