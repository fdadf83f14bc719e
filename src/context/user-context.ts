/**
 * @module
 * What `c.var.auth` holds for an Auth0 user's access token: who the user is, the organization the
 * token names, what it grants, and the organization's entitlements. Never the token.
 */
import { NO_ENTITLEMENTS, type EntitlementFields } from './auth-context.ts'
import { jsonOf } from './json-of.ts'

/** The fields of a {@link UserContext}. */
export interface UserFields {
  /** The user (`sub`), e.g. `auth0|65f0c1…`. */
  readonly userId: string
  /** The Auth0 organization the token was issued for (`org_id`), or `null`. */
  readonly organizationId: string | null
  /** Its name (`org_name`), when the tenant adds names to tokens, else `null`. */
  readonly organizationName: string | null
  /** The `permissions` claim (Auth0 RBAC), `[]` when the token has none. */
  readonly permissions: readonly string[]
  /** Whether the token carries a `permissions` claim: then it alone decides `requirePermission`. */
  readonly hasPermissionsClaim: boolean
  /** The `scope` claim, split on spaces. */
  readonly scopes: readonly string[]
  /** The application the user signed in through (`azp`, else `client_id`), or `null`. */
  readonly clientId: string | null
  /** When the token expires (its `exp`). */
  readonly expiresAt: Date
  /** When this token was verified (locally, against the tenant's keys). */
  readonly authenticatedAt: Date
}

/** The fields of a {@link UserContext}, merged into the class. */
export interface UserContext extends UserFields, EntitlementFields {}

/**
 * An Auth0 user, through an application's access token. With an organization (`org_id`),
 * entitlements load for it and tenancy is checked against it (by `org_id` or `org_name`).
 *
 * @example
 * ```ts
 * app.get('/api/me', (c) => c.json(c.var.auth.kind === 'user' ? c.var.auth.userId : c.var.auth.clientId))
 * ```
 */
export class UserContext {
  readonly kind = 'user' as const

  constructor(fields: UserFields & Partial<EntitlementFields>) {
    Object.assign(this, fields, { ...NO_ENTITLEMENTS, ...fields })
    Object.freeze(this)
  }

  /** The organization's slug, as tenancy checks read it: `org_name`. */
  get organizationSlug(): string | null {
    return this.organizationName
  }

  /** This context with the given entitlement fields. */
  withEntitlements(fields: EntitlementFields): UserContext {
    return new UserContext({ ...this, ...fields })
  }

  /** The fields as JSON (ISO times). */
  toJSON(): Record<string, unknown> {
    return jsonOf(this)
  }
}
