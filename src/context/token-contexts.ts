/**
 * @module
 * What `c.var.auth` holds for an access token instead of a member's session: a machine (a Stytch
 * or Auth0 M2M client) or a member acting through an app (a Stytch Connected Apps OAuth token).
 * Neither ever holds the token itself.
 */
import { NO_ENTITLEMENTS, type EntitlementFields } from './auth-context.ts'
import { jsonOf } from './json-of.ts'

/** What a verified access token says, whatever its kind. */
interface TokenFields {
  /** The scopes the token was granted (space-separated `scope` claim), e.g. `['read:reports']`. */
  readonly scopes: readonly string[]
  /** The token's other claims (not the registered ones, `scope` or Stytch's). */
  readonly customClaims: Readonly<Record<string, unknown>>
  /** When the token expires (its `exp`). */
  readonly expiresAt: Date
  /** When this token was verified (locally, against the project's keys). */
  readonly authenticatedAt: Date
}

/** The fields of a {@link MachineContext}. */
export interface MachineFields extends TokenFields {
  /** The M2M client the token was issued to (Stytch: its `sub`; Auth0: `azp`). */
  readonly clientId: string
  /** Auth0's `permissions` claim, when the API adds it (`[]` for Stytch M2M tokens, which have scopes alone). */
  readonly permissions: readonly string[]
}

/** The fields of a {@link MachineContext}, merged into the class. */
export interface MachineContext extends MachineFields {}

/**
 * A service calling with an M2M access token (client credentials) of Stytch or Auth0. It belongs
 * to no organization: member-only guards (factors, entitlements, tenancy) answer 403 for it.
 *
 * @example
 * ```ts
 * app.get('/api/reports', requireScopes('read:reports'), (c) => {
 *   const auth = c.var.auth
 *   if (auth.kind === 'machine') log(`report read by ${auth.clientId}`)
 * })
 * ```
 */
export class MachineContext {
  readonly kind = 'machine' as const

  constructor(fields: MachineFields) {
    Object.assign(this, fields)
    Object.freeze(this)
  }

  /** The fields as JSON (ISO times). */
  toJSON(): Record<string, unknown> {
    return jsonOf(this)
  }
}

/** The fields of an {@link OAuthContext}. */
export interface OAuthFields extends TokenFields {
  /** The member the app acts for (the token's `sub`). */
  readonly memberId: string
  readonly organizationId: string
  readonly organizationSlug: string | null
  /** The Connected App (its `client_id` claim), when the token carries it. */
  readonly clientId: string | null
}

/** The fields of an {@link OAuthContext}, merged into the class. */
export interface OAuthContext extends OAuthFields, EntitlementFields {}

/**
 * A member acting through an app (an AI agent, an MCP client, a third-party integration) with a
 * Stytch Connected Apps access token. It has an organization, so entitlements load for it and
 * tenancy is checked against it; permissions follow the project policy's `scopes`.
 *
 * @example
 * ```ts
 * if (c.var.auth.kind === 'oauth') return c.json({ member: c.var.auth.memberId, via: c.var.auth.clientId })
 * ```
 */
export class OAuthContext {
  readonly kind = 'oauth' as const

  constructor(fields: OAuthFields & Partial<EntitlementFields>) {
    Object.assign(this, fields, { ...NO_ENTITLEMENTS, ...fields })
    Object.freeze(this)
  }

  /** This context with the given entitlement fields. */
  withEntitlements(fields: EntitlementFields): OAuthContext {
    return new OAuthContext({ ...this, ...fields })
  }

  /** The fields as JSON (ISO times). */
  toJSON(): Record<string, unknown> {
    return jsonOf(this)
  }
}
