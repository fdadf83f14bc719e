/**
 * @module
 * `AuthContext`: what `c.var.auth` holds after `stytchAuth()`, the TypeScript form of the Python
 * package's `StytchContext`.
 */

/** Why {@link AuthContext.entitlements} is or is not available. */
export type EntitlementsStatus =
  /** Loaded from the entitlement source (or its cache). */
  | 'loaded'
  /** No entitlement source is configured: the entitlement fields are `null`. */
  | 'not_configured'
  /** The source is configured but unreachable and nothing was cached: guards answer 503. */
  | 'unavailable'
  /** The source has no document for this Stytch organization. */
  | 'unknown_organization'

/** The session part of an {@link AuthContext}: what Stytch verified. */
export interface SessionFields {
  readonly memberId: string
  readonly sessionId: string
  readonly organizationId: string
  readonly sessionStartedAt: Date
  readonly sessionExpiresAt: Date
  readonly sessionLastAccessedAt: Date
  /** When this session was verified (with Stytch, or locally for a JWT). */
  readonly authenticatedAt: Date
  readonly memberEmail: string | null
  readonly memberName: string | null
  readonly sessionCustomClaims: Readonly<Record<string, unknown>>
  /** Stytch factor `type`s of the session, e.g. `['magic_link', 'totp']`. */
  readonly authenticationFactors: readonly string[]
  /** The Stytch response (or, for a JWT, the verified claims as a `member_session`) without tokens. */
  readonly rawSession: Readonly<Record<string, unknown>>
}

/** The entitlement part of an {@link AuthContext}: `null` fields when unavailable. */
export interface EntitlementFields {
  readonly entitlementsStatus: EntitlementsStatus
  readonly entitlements: readonly string[] | null
  readonly subscriptionTier: string | null
  /** Usage limits by name; `-1` means unlimited (see `withinLimit`). */
  readonly subscriptionLimits: Readonly<Record<string, number>> | null
  readonly currentTeamId: string | null
  readonly currentTeamName: string | null
  readonly mongoUserId: string | null
  readonly mongoOrganizationId: string | null
}

/** Every field of an {@link AuthContext}. */
export type AuthContextFields = SessionFields & EntitlementFields

/** The entitlement fields of a context built with no entitlement source. */
export const NO_ENTITLEMENTS: EntitlementFields = Object.freeze({
  entitlementsStatus: 'not_configured',
  entitlements: null,
  subscriptionTier: null,
  subscriptionLimits: null,
  currentTeamId: null,
  currentTeamName: null,
  mongoUserId: null,
  mongoOrganizationId: null,
})

/** The fields of an {@link AuthContext} (declared once here, merged into the class). */
export interface AuthContext extends AuthContextFields {}

/**
 * A verified Stytch B2B session, with the organization's entitlements and the member's team when
 * an entitlement source is configured. Immutable; safe to return to a client (`c.json(auth)`
 * serializes it through {@link AuthContext.toJSON}, which holds no token).
 *
 * @example
 * ```ts
 * app.get('/me', (c) => {
 *   const auth = c.var.auth
 *   return c.json({ member: auth.memberId, expiresIn: auth.timeUntilExpiry })
 * })
 * ```
 */
export class AuthContext {
  constructor(fields: SessionFields & Partial<EntitlementFields>) {
    Object.assign(this, NO_ENTITLEMENTS, fields)
    Object.freeze(this)
  }

  /** Whether the session's `expires_at` has passed. */
  get isExpired(): boolean {
    return this.sessionExpiresAt.getTime() <= Date.now()
  }

  /** Seconds until the session expires, or `null` once it has. */
  get timeUntilExpiry(): number | null {
    const seconds = (this.sessionExpiresAt.getTime() - Date.now()) / 1000
    return seconds > 0 ? seconds : null
  }

  /**
   * This session with the given entitlement fields (the session itself is shared, not copied).
   *
   * @example
   * ```ts
   * const withTeam = auth.withEntitlements({ ...entitlementFieldsOf(auth), currentTeamId: 'x' })
   * ```
   */
  withEntitlements(fields: EntitlementFields): AuthContext {
    return new AuthContext({ ...sessionFieldsOf(this), ...fields })
  }

  /**
   * A plain JSON object with every field (camelCase, ISO 8601 times). It holds no token.
   *
   * @example
   * ```ts
   * JSON.stringify(auth) // '{"memberId":"member-test-…","sessionId":…}'
   * ```
   */
  toJSON(): Record<string, unknown> {
    return {
      ...sessionFieldsOf(this),
      sessionStartedAt: this.sessionStartedAt.toISOString(),
      sessionExpiresAt: this.sessionExpiresAt.toISOString(),
      sessionLastAccessedAt: this.sessionLastAccessedAt.toISOString(),
      authenticatedAt: this.authenticatedAt.toISOString(),
      ...entitlementFieldsOf(this),
    }
  }
}

/**
 * The session fields of a context, without its entitlements.
 *
 * @example
 * ```ts
 * const { memberId, sessionExpiresAt } = sessionFieldsOf(auth)
 * ```
 */
export function sessionFieldsOf(auth: SessionFields): SessionFields {
  return {
    memberId: auth.memberId,
    sessionId: auth.sessionId,
    organizationId: auth.organizationId,
    sessionStartedAt: auth.sessionStartedAt,
    sessionExpiresAt: auth.sessionExpiresAt,
    sessionLastAccessedAt: auth.sessionLastAccessedAt,
    authenticatedAt: auth.authenticatedAt,
    memberEmail: auth.memberEmail,
    memberName: auth.memberName,
    sessionCustomClaims: auth.sessionCustomClaims,
    authenticationFactors: auth.authenticationFactors,
    rawSession: auth.rawSession,
  }
}

/**
 * The entitlement fields of a context.
 *
 * @example
 * ```ts
 * const { entitlements, subscriptionTier } = entitlementFieldsOf(auth)
 * ```
 */
export function entitlementFieldsOf(auth: EntitlementFields): EntitlementFields {
  return {
    entitlementsStatus: auth.entitlementsStatus,
    entitlements: auth.entitlements,
    subscriptionTier: auth.subscriptionTier,
    subscriptionLimits: auth.subscriptionLimits,
    currentTeamId: auth.currentTeamId,
    currentTeamName: auth.currentTeamName,
    mongoUserId: auth.mongoUserId,
    mongoOrganizationId: auth.mongoOrganizationId,
  }
}
