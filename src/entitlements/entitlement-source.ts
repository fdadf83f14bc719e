/**
 * @module
 * Where organization entitlements and members' teams come from. Implementations: MongoDB through
 * the official driver (`ayz-auth/mongodb`) and the Atlas Data API protocol over `fetch`
 * (`ayz-auth/data-api`). Sources return raw documents; the library validates them, so a malformed
 * document is logged and treated as absent fields, never a crash.
 */

/** A document as stored (field names are the source's; values may be of any BSON-ish type). */
export type SourceDocument = Readonly<Record<string, unknown>>

/** How to find a member: by Stytch member id the first time, by the cached user `_id` after. */
export type MemberLookup =
  | { readonly stytchMemberId: string; readonly userId?: undefined }
  | { readonly userId: string; readonly stytchMemberId?: undefined }

/** A user document and the team document its current team id points to (if any). */
export interface MemberDocuments {
  readonly user: SourceDocument
  readonly team: SourceDocument | null
}

/** The collection and field names a source reads (the original package's names by default). */
export interface EntitlementSchema {
  readonly collections: {
    readonly organizations: string
    readonly users: string
    readonly teams: string
  }
  readonly fields: {
    /** On organizations: the provider's organization id (Stytch's; Auth0's `org_id`). */
    readonly stytchOrganizationId: string
    readonly subscriptionTier: string
    readonly entitlements: string
    readonly subscriptionLimits: string
    /** On users: the provider's id of the member (Stytch's member id; Auth0's `sub`). */
    readonly stytchMemberId: string
    readonly currentTeamId: string
    /** On teams: the owning organization's `_id`. */
    readonly teamOrganizationId: string
    readonly teamName: string
  }
}

/** The original package's collection and field names. */
export const DEFAULT_SCHEMA: EntitlementSchema = Object.freeze({
  collections: Object.freeze({ organizations: 'organizations', users: 'users', teams: 'teams' }),
  fields: Object.freeze({
    stytchOrganizationId: 'stytch_org_id',
    subscriptionTier: 'subscription_tier',
    entitlements: 'entitlements',
    subscriptionLimits: 'subscription_limits',
    stytchMemberId: 'stytch_member_id',
    currentTeamId: 'current_team_id',
    teamOrganizationId: 'organization_id',
    teamName: 'name',
  }),
})

/**
 * The names an Auth0 app's documents use: organizations found by `auth0_org_id` (a token's
 * `org_id`), users by `auth0_id` (its `sub`); the rest as the original's. The default of an
 * entitlement source `auth0Auth()` builds from the environment; pass it as `schema` to a source of
 * your own (`mongoEntitlements({ uri, schema: AUTH0_SCHEMA })`).
 *
 * @example
 * ```ts
 * AUTH0_SCHEMA.fields.stytchOrganizationId // 'auth0_org_id'
 * ```
 */
export const AUTH0_SCHEMA: EntitlementSchema = Object.freeze({
  collections: DEFAULT_SCHEMA.collections,
  fields: Object.freeze({
    ...DEFAULT_SCHEMA.fields,
    stytchOrganizationId: 'auth0_org_id',
    stytchMemberId: 'auth0_id',
  }),
})

/** Overrides of collection and field names; anything not given keeps the original's name. */
export interface EntitlementSchemaOverrides {
  readonly collections?: Partial<EntitlementSchema['collections']>
  readonly fields?: Partial<EntitlementSchema['fields']>
}

/**
 * The original names with `overrides` applied.
 *
 * @example
 * ```ts
 * entitlementSchema({ collections: { organizations: 'orgs' } }).collections.users // 'users'
 * ```
 */
export function entitlementSchema(overrides: EntitlementSchemaOverrides = {}): EntitlementSchema {
  return {
    collections: { ...DEFAULT_SCHEMA.collections, ...overrides.collections },
    fields: { ...DEFAULT_SCHEMA.fields, ...overrides.fields },
  }
}

/**
 * Loads organizations, users and teams. Each method is one round trip; a method rejects when the
 * backend is unreachable (the library then serves cached data or answers 503, never a 403).
 *
 * @example
 * ```ts
 * import { mongoEntitlements } from 'ayz-auth/mongodb'
 * app.use('*', stytchAuth({ entitlements: mongoEntitlements(process.env.MONGODB_URI!) }))
 * ```
 */
export interface EntitlementSource {
  /** The names this source reads; the library validates documents by them. */
  readonly schema: EntitlementSchema
  /**
   * The organization whose Stytch organization id is `stytchOrganizationId`, or `null`. `signal`
   * aborts when the library stops waiting (after `timeoutMs`); a method declared without it is
   * given none (making one costs a few µs), and the library stops waiting all the same.
   */
  findOrganization(
    stytchOrganizationId: string,
    signal?: AbortSignal
  ): Promise<SourceDocument | null>
  /** The user and their current team, in one round trip, or `null` when there is no such user. */
  findMember(lookup: MemberLookup, signal?: AbortSignal): Promise<MemberDocuments | null>
  /** How logs name the source, without secrets. Default `entitlement source`. */
  readonly name?: string
  /** Milliseconds a call may take before the source counts as unreachable. Default 2000. */
  readonly timeoutMs?: number
}
