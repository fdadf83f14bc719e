/**
 * @module
 * What `c.var.auth` holds for an organization's API key: the key's record (never the key) and the
 * organization's entitlements.
 */
import * as v from 'valibot'
import { NO_ENTITLEMENTS, type EntitlementFields } from './auth-context.ts'
import { jsonOf } from './json-of.ts'
import { StoredInstant, storedOf } from './stored-instant.ts'

/** The fields of an {@link ApiKeyContext}. */
export interface ApiKeyFields {
  /** The key's id (its record's `id`), e.g. for audit logs. */
  readonly keyId: string
  /** The name it was given at creation. */
  readonly name: string
  /** The Stytch organization that owns the key. */
  readonly organizationId: string
  /** The member who created it. */
  readonly createdBy: string
  /** What it may do, as M2M scopes (`action:resource`; `action:*` covers every resource). */
  readonly scopes: readonly string[]
  /** When it expires, or `null` for never. */
  readonly expiresAt: Date | null
  /** When this key was verified (looked up in the key store). */
  readonly authenticatedAt: Date
}

/** The fields of an {@link ApiKeyContext}, merged into the class. */
export interface ApiKeyContext extends ApiKeyFields, EntitlementFields {}

/**
 * A program calling with an organization's API key. It acts for the organization: entitlements
 * load by the organization, tenancy is checked against it, `requireScopes` and
 * `requirePermission` decide by the key's scopes; member-only guards (factors) answer 403.
 *
 * @example
 * ```ts
 * if (c.var.auth.kind === 'api_key') log(`report read with key ${c.var.auth.keyId}`)
 * ```
 */
export class ApiKeyContext {
  readonly kind = 'api_key' as const

  constructor(fields: ApiKeyFields & Partial<EntitlementFields>) {
    Object.assign(this, fields, { ...NO_ENTITLEMENTS, ...fields })
    Object.freeze(this)
  }

  /** An API key names no organization slug: tenancy is checked by id. */
  get organizationSlug(): null {
    return null
  }

  /** This context with the given entitlement fields. */
  withEntitlements(fields: EntitlementFields): ApiKeyContext {
    return new ApiKeyContext({ ...this, ...fields })
  }

  /** The fields as JSON (ISO times); never the key. */
  toJSON(): Record<string, unknown> {
    return jsonOf(this)
  }
}

/**
 * An API key's context as the shared tier keeps it (`kind: 'api_key'` and its fields, sealed;
 * never the key), validated on the way back.
 *
 * @example
 * ```ts
 * v.parse(CachedApiKeySchema, JSON.parse(JSON.stringify(cachedApiKeyOf(auth)))) // an equal ApiKeyContext
 * ```
 */
export const CachedApiKeySchema: v.GenericSchema<unknown, ApiKeyContext> = v.pipe(
  v.object({
    kind: v.literal('api_key'),
    keyId: v.pipe(v.string(), v.nonEmpty()),
    name: v.string(),
    organizationId: v.pipe(v.string(), v.nonEmpty()),
    createdBy: v.string(),
    scopes: v.array(v.string()),
    expiresAt: v.nullable(StoredInstant),
    authenticatedAt: StoredInstant,
  }),
  v.transform(({ kind: _kind, ...fields }) => new ApiKeyContext(fields))
)

/**
 * What the shared tier keeps of an API key's context: its fields without the organization's
 * entitlements (loaded per request).
 *
 * @example
 * ```ts
 * await shared.write(key, { data: cachedApiKeyOf(auth), validUntil }, ttlMs)
 * ```
 */
export function cachedApiKeyOf(auth: ApiKeyContext): Record<string, unknown> {
  const { keyId, name, organizationId, createdBy, scopes, expiresAt, authenticatedAt } = auth
  return {
    kind: auth.kind,
    keyId,
    name,
    organizationId,
    createdBy,
    scopes,
    expiresAt: storedOf(expiresAt),
    authenticatedAt: storedOf(authenticatedAt),
  }
}
