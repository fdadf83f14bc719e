/**
 * @module
 * Who an Auth0 access token speaks for, read from its verified claims: a user (signed in through
 * an application), or a machine (an M2M application using the client-credentials grant).
 */
import * as v from 'valibot'

/**
 * A user's Auth0 access token, as plain fields.
 *
 * @example
 * const user: Auth0UserPrincipal = {
 *   kind: 'user', userId: 'auth0|65f0c1', organizationId: 'org_abc', organizationName: 'acme',
 *   permissions: ['read:documents'], hasPermissionsClaim: true, scopes: ['openid', 'read:documents'],
 *   clientId: 'spa-client', expiresAt: new Date(exp * 1000), authenticatedAt: new Date(),
 * }
 */
export interface Auth0UserPrincipal {
  readonly kind: 'user'
  /** `sub`, e.g. `auth0|65f0c1…` or `google-oauth2|1090…`. */
  readonly userId: string
  /** `org_id`: untrusted until matched to a known organization. */
  readonly organizationId: string | null
  /** `org_name`, present only when the tenant adds organization names to tokens. */
  readonly organizationName: string | null
  /** `permissions` (RBAC with "Add Permissions in the Access Token"), else empty. */
  readonly permissions: readonly string[]
  /** Whether the token carries a `permissions` claim at all (see `tokenGrants`). */
  readonly hasPermissionsClaim: boolean
  /** `scope`, split on spaces. */
  readonly scopes: readonly string[]
  /** The application the user signed in through: `azp`, else `client_id` (RFC 9068 profile). */
  readonly clientId: string | null
  /** `exp`. */
  readonly expiresAt: Date
  /** When the token was verified. */
  readonly authenticatedAt: Date
}

/**
 * An M2M application's Auth0 access token (client-credentials grant), as plain fields.
 *
 * @example
 * const machine: Auth0MachinePrincipal = {
 *   kind: 'machine', clientId: 'Xq3…', organizationId: null, organizationName: null,
 *   permissions: [], scopes: ['read:reports'], expiresAt: new Date(exp * 1000), authenticatedAt: new Date(),
 * }
 */
export interface Auth0MachinePrincipal {
  readonly kind: 'machine'
  /** `azp`, else `sub` without `@clients`. */
  readonly clientId: string
  /** `org_id`, when the token was requested with `organization`. */
  readonly organizationId: string | null
  /** `org_name`, when the token was requested with `organization` and the tenant adds names. */
  readonly organizationName: string | null
  /** `permissions`, when the API's token dialect adds them; else empty. */
  readonly permissions: readonly string[]
  /** `scope` (the client grant's scopes), split on spaces. */
  readonly scopes: readonly string[]
  /** `exp`. */
  readonly expiresAt: Date
  /** When the token was verified. */
  readonly authenticatedAt: Date
}

/**
 * Who a verified Auth0 access token speaks for.
 *
 * @example
 * const who = principal.kind === 'user' ? principal.userId : principal.clientId
 */
export type Auth0Principal = Auth0UserPrincipal | Auth0MachinePrincipal

/** What `sub` of a client-credentials token ends with: `{client_id}@clients`. */
const CLIENTS_SUFFIX = '@clients'

/** The claims the principal is made of; registered claims were checked by `jwtVerify` before. */
const Auth0Claims = v.looseObject({
  sub: v.pipe(v.string(), v.nonEmpty()),
  exp: v.number(),
  scope: v.optional(v.string()),
  permissions: v.optional(v.array(v.string())),
  azp: v.optional(v.string()),
  client_id: v.optional(v.string()),
  gty: v.optional(v.string()),
  org_id: v.optional(v.string()),
  org_name: v.optional(v.string()),
})

/**
 * The principal of a verified token's claims, or `undefined` when the claims do not have Auth0's
 * shape (no `sub`, a `scope` that is not a string, `permissions` that are not strings…). A token
 * is a machine's when `gty` is `client-credentials` or `sub` ends in `@clients`.
 *
 * @example
 * ```ts
 * const { payload } = await jwtVerify(token, keys.keyFor, options)
 * const principal = auth0PrincipalOf(payload) // { kind: 'user', userId: 'auth0|65f0c1', … }
 * ```
 */
export function auth0PrincipalOf(payload: unknown): Auth0Principal | undefined {
  const parsed = v.safeParse(Auth0Claims, payload)
  if (!parsed.success) return undefined
  const claims = parsed.output
  const common = {
    organizationId: claims.org_id ?? null,
    organizationName: claims.org_name ?? null,
    permissions: claims.permissions ?? [],
    scopes: (claims.scope ?? '').split(' ').filter(Boolean),
    expiresAt: new Date(claims.exp * 1000),
    authenticatedAt: new Date(),
  }
  const clientSubject = claims.sub.endsWith(CLIENTS_SUFFIX)
  if (claims.gty === 'client-credentials' || clientSubject) {
    const clientId =
      claims.azp ?? (clientSubject ? claims.sub.slice(0, -CLIENTS_SUFFIX.length) : claims.sub)
    return { kind: 'machine', clientId, ...common }
  }
  return {
    kind: 'user',
    userId: claims.sub,
    hasPermissionsClaim: claims.permissions !== undefined,
    clientId: claims.azp ?? claims.client_id ?? null,
    ...common,
  }
}
