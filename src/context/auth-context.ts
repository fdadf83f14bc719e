/**
 * @module
 * `AuthContext`: what `c.var.auth` holds after `stytchAuth()`, the TypeScript form of the Python
 * package's `StytchContext`. Its session fields are one interface and the valibot schema that
 * reads them back from a shared cache, held to it by the compiler.
 */
import * as v from 'valibot'
import { StoredInstant, storedOf } from './stored-instant.ts'

const Id = v.pipe(v.string(), v.nonEmpty())

/** The session part of an {@link AuthContext}: what Stytch verified. */
export interface SessionFields {
  readonly memberId: string
  readonly sessionId: string
  readonly organizationId: string
  /** The organization's slug, when Stytch sent it (both its responses and its JWTs do). */
  readonly organizationSlug: string | null
  readonly sessionStartedAt: Date
  readonly sessionExpiresAt: Date
  readonly sessionLastAccessedAt: Date
  /** When this session was verified (with Stytch, or locally for a JWT). */
  readonly authenticatedAt: Date
  readonly memberEmail: string | null
  readonly memberName: string | null
  readonly sessionCustomClaims: Record<string, unknown>
  /** Stytch factor `type`s of the session, e.g. `['magic_link', 'totp']`. */
  readonly authenticationFactors: string[]
  /** The member's RBAC role ids, implicit assignments included (e.g. `['stytch_member', 'editor']`). */
  readonly roles: string[]
  /** The Stytch response (or, for a JWT, the verified claims as a `member_session`) without tokens. */
  readonly rawSession: Record<string, unknown>
}

/**
 * {@link SessionFields} as a shared cache stores them (times as epoch milliseconds); the compiler
 * holds each entry to its field (the type is declared above, as JSR wants a public type spelled out).
 */
const sessionFieldEntries = {
  memberId: Id,
  sessionId: Id,
  organizationId: Id,
  organizationSlug: v.nullable(v.string()),
  sessionStartedAt: StoredInstant,
  sessionExpiresAt: StoredInstant,
  sessionLastAccessedAt: StoredInstant,
  authenticatedAt: StoredInstant,
  memberEmail: v.nullable(v.string()),
  memberName: v.nullable(v.string()),
  sessionCustomClaims: v.record(v.string(), v.unknown()),
  authenticationFactors: v.array(v.string()),
  roles: v.array(v.string()),
  rawSession: v.record(v.string(), v.unknown()),
} satisfies { [Field in keyof SessionFields]: v.GenericSchema<unknown, SessionFields[Field]> }

/** `rawSession` as a shared cache stores it: its JSON text, parsed only when read. */
const RawSessionText = v.pipe(
  v.string(),
  v.transform((text) => lazily(() => v.parse(sessionFieldEntries.rawSession, JSON.parse(text))))
)

const SESSION_FIELDS = Object.keys(sessionFieldEntries) as (keyof SessionFields)[]

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

const ENTITLEMENT_FIELDS = Object.keys(NO_ENTITLEMENTS) as (keyof EntitlementFields)[]

/** The fields of an {@link AuthContext} (declared once above, merged into the class). */
export interface AuthContext extends AuthContextFields {}

/**
 * A verified Stytch B2B session, with the organization's entitlements and the member's team when
 * an entitlement source is configured. Immutable. `c.json(auth)` sends {@link AuthContext.toJSON}:
 * what the member may see, without `rawSession`.
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
  /** What authenticated the request: a member's session (see `MachineContext`, `OAuthContext`). */
  declare readonly kind: 'member'

  constructor(fields: SessionFields & Partial<EntitlementFields>) {
    fill(this, fields, entitlementFieldsOf(fields), { value: fields.rawSession })
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
   * const withTeam = auth.withEntitlements({ ...NO_ENTITLEMENTS, currentTeamId: 'x' })
   * ```
   */
  withEntitlements(fields: EntitlementFields): AuthContext {
    return fill(
      Object.create(AuthContext.prototype) as AuthContext,
      this,
      fields,
      rawSessionOf(this)
    )
  }

  /**
   * What is safe to send to the member: identity, session times (ISO 8601), factor types, custom
   * claims, entitlements and team, camelCase. Never a token, and not `rawSession` (the member's
   * `trusted_metadata`, the organization's SSO, SCIM and domain settings), which stays on the object
   * for server code.
   *
   * @example
   * ```ts
   * JSON.stringify(auth) // '{"memberId":"member-test-…","sessionId":…}'
   * ```
   */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {}
    for (const field of Object.keys(this) as (keyof this & string)[]) {
      if (field === 'rawSession') continue
      const value = this[field]
      json[field] = value instanceof Date ? value.toISOString() : value
    }
    return json
  }
}

/** A context's `rawSession`: the object, or (read back from a shared cache) how to parse it when read. */
type RawSession =
  { readonly value: Record<string, unknown> } | { readonly load: () => Record<string, unknown> }

/** Where a context read back from a shared cache keeps the parser of its `rawSession`. */
const RAW_SESSION_LOADER = Symbol('rawSession loader')
type Loading = { readonly [RAW_SESSION_LOADER]: () => Record<string, unknown> }

/** The `rawSession` getter of every context that parses it when read (one function: one shape). */
function loadedRawSession(this: Loading): Record<string, unknown> {
  return this[RAW_SESSION_LOADER]()
}

/** How `session` holds its `rawSession`, for a copy that holds it the same way. */
function rawSessionOf(session: SessionFields): RawSession {
  const load = (session as Partial<Loading>)[RAW_SESSION_LOADER]
  return load ? { load } : { value: session.rawSession }
}

/** A context while {@link fill} writes it. */
type Writable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * Fills a new context: `kind`, the session fields, then the entitlement fields, in one order for
 * every context (the member first, for `toJSON()`); then freezes it. A `rawSession` given as a
 * loader (read back from a shared cache) is parsed when first read. Each field is written by name:
 * every context then shares one shape with fast properties (a loop of keyed writes turned a context
 * made by `Object.create` into a slow dictionary, several µs per cache read).
 */
function fill(
  context: AuthContext,
  session: Omit<SessionFields, 'rawSession'>,
  entitlements: EntitlementFields,
  rawSession: RawSession
): AuthContext {
  const target = context as Writable<AuthContext>
  target.kind = 'member'
  target.memberId = session.memberId
  target.sessionId = session.sessionId
  target.organizationId = session.organizationId
  target.organizationSlug = session.organizationSlug
  target.sessionStartedAt = session.sessionStartedAt
  target.sessionExpiresAt = session.sessionExpiresAt
  target.sessionLastAccessedAt = session.sessionLastAccessedAt
  target.authenticatedAt = session.authenticatedAt
  target.memberEmail = session.memberEmail
  target.memberName = session.memberName
  target.sessionCustomClaims = session.sessionCustomClaims
  target.authenticationFactors = session.authenticationFactors
  target.roles = session.roles
  if ('value' in rawSession) target.rawSession = rawSession.value
  else {
    Object.defineProperty(target, RAW_SESSION_LOADER, { value: rawSession.load })
    Object.defineProperty(target, 'rawSession', { get: loadedRawSession, enumerable: true })
  }
  target.entitlementsStatus = entitlements.entitlementsStatus
  target.entitlements = entitlements.entitlements
  target.subscriptionTier = entitlements.subscriptionTier
  target.subscriptionLimits = entitlements.subscriptionLimits
  target.currentTeamId = entitlements.currentTeamId
  target.currentTeamName = entitlements.currentTeamName
  target.mongoUserId = entitlements.mongoUserId
  target.mongoOrganizationId = entitlements.mongoOrganizationId
  return Object.freeze(context)
}

/** The entitlement fields given, and the defaults of those not given. */
function entitlementFieldsOf(given: Partial<EntitlementFields>): EntitlementFields {
  const fields = ENTITLEMENT_FIELDS.map((field) => [
    field,
    field in given ? given[field] : NO_ENTITLEMENTS[field],
  ])
  return Object.fromEntries(fields) as EntitlementFields
}

/**
 * The session fields of a context as a shared cache stores them: times as epoch milliseconds, and
 * `rawSession` as JSON text, so reading an entry back builds no object of it until the app reads it.
 *
 * @example
 * ```ts
 * await shared.write(key, { data: cachedSessionOf(auth), validUntil }, ttlMs)
 * ```
 */
export function cachedSessionOf(auth: SessionFields): Record<keyof SessionFields, unknown> {
  const fields = Object.fromEntries(SESSION_FIELDS.map((field) => [field, storedOf(auth[field])]))
  return { ...fields, rawSession: JSON.stringify(auth.rawSession) } as Record<
    keyof SessionFields,
    unknown
  >
}

/**
 * A cached session: validated on the way back from a shared cache, so a corrupt entry is a miss.
 * `rawSession` comes back as JSON text (read when the app reads it) or, from an entry an earlier
 * version wrote, as an object.
 *
 * @example
 * ```ts
 * v.parse(CachedSessionSchema, JSON.parse(JSON.stringify(cachedSessionOf(auth)))) // an equal AuthContext
 * ```
 */
export const CachedSessionSchema = v.pipe(
  v.object({
    ...sessionFieldEntries,
    rawSession: v.union([RawSessionText, sessionFieldEntries.rawSession]),
  }),
  v.transform((fields) => {
    const { rawSession } = fields
    const given = typeof rawSession === 'function' ? { load: rawSession } : { value: rawSession }
    const context = Object.create(AuthContext.prototype) as AuthContext
    return fill(context, fields, NO_ENTITLEMENTS, given)
  })
)

/** `load()` once, when first asked; its value from then on. */
function lazily<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined
  return () => (loaded ??= { value: load() }).value
}
