/**
 * The demo's entitlements, with nothing configured: an in-memory {@link EntitlementSource} holding
 * the documents a MongoDB would (the original package's collections and field names,
 * `DEFAULT_SCHEMA`, or Auth0's, `AUTH0_SCHEMA`), for the two organizations a demo seeds in the
 * Stytch (or Auth0) emulator. Write your own source the same way to read subscriptions from
 * anywhere.
 */
import {
  DEFAULT_SCHEMA,
  type EntitlementSchema,
  type EntitlementSource,
  type MemberDocuments,
  type SourceDocument,
} from 'ayz-auth'

/**
 * The ids the demo seeded, by organization (Stytch's; for Auth0, `org_id` and `sub`): plain JSON,
 * so `npm run dev:workers` can hand them to the Worker as a binding.
 */
export interface DemoIds {
  readonly acme: { readonly organizationId: string; readonly memberId: string }
  readonly globex: { readonly organizationId: string; readonly memberId: string }
}

/** Each demo organization's subscription. */
export const DEMO_PLANS = {
  acme: {
    tier: 'premium',
    entitlements: ['foresight', 'reporting'],
    limits: { max_projects: 50 },
    team: 'Research',
  },
  globex: { tier: 'basic', entitlements: ['reporting'], limits: { max_projects: 3 }, team: null },
} as const

/**
 * An entitlement source over fixed documents, under `schema`'s names: Acme on the premium plan
 * with its member in the "Research" team, Globex on the basic plan.
 *
 * @example
 * ```ts
 * stytchAuth({ entitlements: demoEntitlements(ids) })
 * auth0Auth({ entitlements: demoEntitlements(ids, AUTH0_SCHEMA) })
 * ```
 */
export function demoEntitlements(
  ids: DemoIds,
  schema: EntitlementSchema = DEFAULT_SCHEMA
): EntitlementSource {
  const { fields } = schema
  const organizations = new Map<string, SourceDocument>()
  const usersByMember = new Map<string, SourceDocument>()
  const usersById = new Map<string, SourceDocument>()
  const teams = new Map<string, SourceDocument>()
  let next = 0
  // Document ids are ObjectIds in MongoDB: 24 hex digits.
  const objectId = () => (++next).toString(16).padStart(24, '0')

  for (const key of ['acme', 'globex'] as const) {
    const plan = DEMO_PLANS[key]
    const organizationId = objectId()
    organizations.set(ids[key].organizationId, {
      _id: organizationId,
      [fields.stytchOrganizationId]: ids[key].organizationId,
      [fields.subscriptionTier]: plan.tier,
      [fields.entitlements]: [...plan.entitlements],
      [fields.subscriptionLimits]: { ...plan.limits },
    })
    let teamId: string | null = null
    if (plan.team) {
      teamId = objectId()
      teams.set(teamId, {
        _id: teamId,
        [fields.teamName]: plan.team,
        [fields.teamOrganizationId]: organizationId,
      })
    }
    const user = {
      _id: objectId(),
      [fields.stytchMemberId]: ids[key].memberId,
      [fields.currentTeamId]: teamId,
    }
    usersByMember.set(ids[key].memberId, user)
    usersById.set(user._id, user)
  }

  return {
    schema,
    async findOrganization(stytchOrganizationId) {
      return organizations.get(stytchOrganizationId) ?? null
    },
    async findMember(lookup): Promise<MemberDocuments | null> {
      const user =
        lookup.userId !== undefined
          ? usersById.get(lookup.userId)
          : usersByMember.get(lookup.stytchMemberId)
      if (!user) return null
      const teamId = user[fields.currentTeamId]
      return { user, team: (typeof teamId === 'string' && teams.get(teamId)) || null }
    },
  }
}
