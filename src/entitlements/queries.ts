/**
 * @module
 * The two queries of an entitlement source, built once for MongoDB's driver and the Data API alike
 * (they differ only in how an ObjectId is written): projections so only the needed fields travel,
 * and the user joined with their team so a request costs one round trip.
 */
import type { EntitlementSchema, MemberLookup } from './entitlement-source.ts'

/** Writes an ObjectId for the target protocol (`new ObjectId(hex)`, or EJSON `{ $oid: hex }`). */
export type ObjectIdOf = (hex: string) => unknown

/** The field of the joined team in a member query's result. */
export const TEAM_FIELD = '__team'

/**
 * The filter and projection finding an organization by its Stytch organization id.
 *
 * @example
 * ```ts
 * const { filter, projection } = organizationQuery(schema, 'organization-test-…')
 * await db.collection(schema.collections.organizations).findOne(filter, { projection })
 * ```
 */
export function organizationQuery(
  schema: EntitlementSchema,
  stytchOrganizationId: string
): { filter: Record<string, unknown>; projection: Record<string, 1> } {
  const { fields } = schema
  return {
    filter: { [fields.stytchOrganizationId]: stytchOrganizationId },
    projection: {
      _id: 1,
      [fields.subscriptionTier]: 1,
      [fields.entitlements]: 1,
      [fields.subscriptionLimits]: 1,
    },
  }
}

/**
 * The aggregation pipeline (on the users collection) returning one user and, under
 * {@link TEAM_FIELD}, the team its current team id points to: built by lookup, on stages made once
 * per schema (a read per request then builds only its `$match`).
 *
 * @example
 * ```ts
 * const pipelineOf = memberPipeline(schema, (hex) => new ObjectId(hex))
 * const [doc] = await users.aggregate(pipelineOf({ userId })).toArray()
 * ```
 */
export function memberPipeline(
  schema: EntitlementSchema,
  objectId: ObjectIdOf
): (lookup: MemberLookup) => object[] {
  const { fields, collections } = schema
  const limit = { $limit: 1 }
  const join = {
    $lookup: {
      from: collections.teams,
      let: { teamId: `$${fields.currentTeamId}` },
      pipeline: [
        { $match: { $expr: { $eq: ['$_id', '$$teamId'] } } },
        limit,
        { $project: { _id: 1, [fields.teamName]: 1, [fields.teamOrganizationId]: 1 } },
      ],
      as: TEAM_FIELD,
    },
  }
  const project = { $project: { _id: 1, [fields.currentTeamId]: 1, [TEAM_FIELD]: 1 } }
  return (lookup) => {
    const match =
      lookup.userId !== undefined
        ? { _id: { $in: [objectId(lookup.userId), lookup.userId] } }
        : { [fields.stytchMemberId]: lookup.stytchMemberId }
    return [{ $match: match }, limit, join, project]
  }
}

/**
 * The user and team documents of a member pipeline's first result.
 *
 * @example
 * ```ts
 * membersOf(await users.aggregate(pipeline).toArray()) // { user, team } | null
 * ```
 */
export function membersOf(
  results: readonly Record<string, unknown>[]
): { user: Record<string, unknown>; team: Record<string, unknown> | null } | null {
  const [first] = results
  if (!first) return null
  const { [TEAM_FIELD]: joined, ...user } = first
  const [team] = Array.isArray(joined) ? (joined as unknown[]) : []
  return {
    user,
    team: typeof team === 'object' && team !== null ? (team as Record<string, unknown>) : null,
  }
}

/**
 * The database named in a MongoDB connection string, if any.
 *
 * @example
 * ```ts
 * databaseInUri('mongodb://h1:27017,h2:27017/app?replicaSet=rs') // 'app'
 * ```
 */
export function databaseInUri(uri: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1]
  return name ? decodeURIComponent(name) : undefined
}

/** The database the original package read when none is configured. */
export const DEFAULT_DATABASE = 'soulmates'
