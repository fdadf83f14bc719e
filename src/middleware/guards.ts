/**
 * @module
 * Route guards: checks of the verified principal (claims, factors, entitlements, tenancy, RBAC
 * permissions, token scopes) that answer 403, the `guard()` they are built with, and
 * `hasPermission()` for handlers. A guard types `c.var.auth` as what passes it: `requireFactors`
 * lets only members through, `requireScopes` only access tokens.
 */
import type { Context, Env, MiddlewareHandler, Next } from 'hono'
import { permission, scopesCover, type Permission } from '../authorization/policy.ts'
import { tokenGrants } from '../authorization/token-grants.ts'
import type { PolicyStore } from '../authorization/policy-store.ts'
import type { AuthContext } from '../context/auth-context.ts'
import type { AuthEnv, EntitledAuthEnv, Principal, PrincipalEnv } from '../context/auth-env.ts'
import type { ApiKeyContext } from '../context/api-key-context.ts'
import type { MachineContext, OAuthContext } from '../context/token-contexts.ts'
import type { UserContext } from '../context/user-context.ts'
import { loadedEntitlements } from '../entitlements/within-limit.ts'
import {
  ConfigurationError,
  InsufficientScopeError,
  MISSING_TOKEN_MESSAGE,
  MissingClaimsError,
  MissingEntitlementError,
  MissingFactorsError,
  MissingPermissionError,
  TokenExtractionError,
} from '../errors/auth-error.ts'
import { checkTenancy, missingClaims, missingFactors } from '../authorization/requirements.ts'
import { defaultHolder } from '../runtime/runtime-holder.ts'
import { authenticate, bind, bindingOf, type Binding } from './authenticate.ts'

/**
 * A check of a guard: throws the `AuthError` to answer, or settles a promise that does. `binding`
 * is the `stytchAuth()` that authenticated the request, else the default one the guard used.
 */
type Check = (auth: Principal, c: Context, binding: Binding | undefined) => void | Promise<void>

/**
 * Builds a route guard from a check of the principal. The guard uses what `stytchAuth()`
 * verified; used alone, it authenticates the request itself with the default settings (so a single
 * route can be protected by a guard alone). In optional mode an anonymous request gets a 401.
 * Errors go through the preceding `stytchAuth()`'s `onError`, if it has one. On routes that accept
 * access tokens (`acceptTokens`), type the check's argument as `Principal` and narrow on `kind`.
 *
 * @example
 * ```ts
 * const requireOwner = guard((auth) => {
 *   if (auth.sessionCustomClaims.role !== 'owner') throw new MissingClaimsError(['role'])
 * })
 * ```
 */
export function guard<E extends Env = AuthEnv, A extends Principal = AuthContext>(
  check: (auth: A) => void | Promise<void>
): MiddlewareHandler<E> {
  return guardWith<E>((auth) => check(auth as A))
}

function guardWith<E extends Env>(check: Check): MiddlewareHandler<E> {
  const answer = (c: Context, error: unknown) => {
    const binding = bindingOf(c)
    binding?.runtime.telemetry?.denied(error)
    return (binding?.route ?? defaultHolder().route).answer(c, error)
  }
  const slowly = async (c: Context, next: Next) => {
    try {
      await check(await principalOf(c), c, bindingOf(c))
    } catch (error) {
      return answer(c, error)
    }
    await next()
  }
  return function guard(c: Context, next: Next) {
    const auth: unknown = c.get('auth')
    if (!auth) return slowly(c, next)
    let pending: void | Promise<void>
    try {
      pending = check(auth as Principal, c, bindingOf(c))
    } catch (error) {
      return Promise.resolve(answer(c, error))
    }
    return pending
      ? pending.then(
          () => next(),
          (error: unknown) => answer(c, error)
        )
      : next()
  } as MiddlewareHandler<E>
}

/** What `stytchAuth()` put on `c`, or, when none ran, the request authenticated with the defaults. */
async function principalOf(c: Context): Promise<Principal> {
  const existing: unknown = (c as Context<PrincipalEnv>).get('auth')
  if (existing === null) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  if (existing !== undefined) return existing as Principal
  const holder = defaultHolder()
  const binding = holder.ready ?? (await holder.get(c))
  const { value: auth } = await authenticate(c, binding.runtime, binding.route)
  if (!auth) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  ;(c as Context<PrincipalEnv>).set('auth', auth)
  bind(c, binding)
  return auth
}

/**
 * Lets a request through only if its session (or access token) carries these custom claims: each
 * named claim present and not `false`/`null`, or, given a record, each claim equal to its value.
 * Otherwise 403 `insufficient_permissions`.
 *
 * @example
 * ```ts
 * app.get('/admin', requireClaims('admin'), handler)
 * app.get('/billing', requireClaims({ role: 'billing' }), handler)
 * ```
 */
export function requireClaims(
  ...claims: string[] | [Readonly<Record<string, unknown>>]
): MiddlewareHandler<PrincipalEnv> {
  const requirement = typeof claims[0] === 'object' ? claims[0] : (claims as string[])
  return guardWith<PrincipalEnv>((auth) => {
    const missing = missingClaims(auth, requirement)
    if (missing.length > 0) throw new MissingClaimsError(missing)
  })
}

/**
 * Lets a request through only if its session was authenticated with these factors: Stytch factor
 * `type`s (`magic_link`, `sso`, `totp`, `password`, …), or `mfa` for two or more distinct factors.
 * Otherwise 403 `insufficient_authentication` (always, for an access token: it has no factors).
 *
 * @example
 * ```ts
 * app.get('/admin', requireClaims('admin'), requireFactors('mfa'), handler)
 * app.get('/sso-only', requireFactors('sso'), handler)
 * ```
 */
export function requireFactors(...factors: string[]): MiddlewareHandler<AuthEnv> {
  return guardWith<AuthEnv>((auth) => {
    const missing = missingFactors(auth, factors)
    if (missing.length > 0) throw new MissingFactorsError(missing)
  })
}

/**
 * Lets a request through only if the organization has the entitlement; otherwise 403 with
 * `required_entitlement`, `current_tier` and `upgrade_required: true`. The handler after it sees
 * `c.var.auth.entitlements` as a `string[]`.
 *
 * @example
 * ```ts
 * app.get('/foresight', requireEntitlement('foresight'), (c) => c.json(c.var.auth.entitlements))
 * ```
 */
export function requireEntitlement(name: string): MiddlewareHandler<EntitledAuthEnv> {
  return guardWith<EntitledAuthEnv>((auth) => {
    const entitled = loadedEntitlements(auth)
    if (entitled.entitlements.includes(name)) return
    throw new MissingEntitlementError({
      error: 'forbidden',
      message: `This feature requires the '${name}' entitlement`,
      required_entitlement: name,
      current_tier: entitled.subscriptionTier,
      upgrade_required: true,
    })
  })
}

/**
 * Lets a request through if the organization has at least one of the entitlements; otherwise 403
 * with `required_entitlements`.
 *
 * @example
 * ```ts
 * app.get('/analytics', requireAnyEntitlement('foresight', 'analytics_basic'), handler)
 * ```
 */
export function requireAnyEntitlement(...names: string[]): MiddlewareHandler<EntitledAuthEnv> {
  return guardWith<EntitledAuthEnv>((auth) => {
    const entitled = loadedEntitlements(auth)
    if (names.some((name) => entitled.entitlements.includes(name))) return
    throw new MissingEntitlementError({
      error: 'forbidden',
      message: `This feature requires one of: ${names.join(', ')}`,
      required_entitlements: names,
      current_tier: entitled.subscriptionTier,
      upgrade_required: true,
    })
  })
}

/**
 * Lets a request through only if the organization has every one of the entitlements; otherwise
 * 403 with `required_entitlements` and `missing_entitlements`.
 *
 * @example
 * ```ts
 * app.get('/premium', requireAllEntitlements('foresight', 'advanced_analytics'), handler)
 * ```
 */
export function requireAllEntitlements(...names: string[]): MiddlewareHandler<EntitledAuthEnv> {
  return guardWith<EntitledAuthEnv>((auth) => {
    const entitled = loadedEntitlements(auth)
    const missing = names.filter((name) => !entitled.entitlements.includes(name))
    if (missing.length === 0) return
    throw new MissingEntitlementError({
      error: 'forbidden',
      message: `This feature requires all of: ${names.join(', ')}`,
      required_entitlements: names,
      missing_entitlements: missing,
      current_tier: entitled.subscriptionTier,
      upgrade_required: true,
    })
  })
}

/** Names the organization a request is about (an id or a slug), e.g. from a path parameter. */
export type OrganizationOf = (c: Context) => string | null | undefined

/**
 * Lets a request through only if the organization it names (by Stytch organization id or slug) is
 * the principal's; otherwise 403 `tenancy_mismatch`. A value shaped like an organization id
 * (`organization-test-…`, `organization-live-…`) never matches a slug, so an organization cannot
 * pass for another by taking its id as a slug. This is the check a route with an `:orgId`
 * parameter needs before it trusts that parameter. A getter answering `undefined` or `null` (a missing or
 * misnamed parameter) is a mismatch too, never a pass. A machine (M2M) token belongs to no
 * organization: it never passes.
 *
 * @example
 * ```ts
 * app.get('/orgs/:orgId/invoices', requireOrganization((c) => c.req.param('orgId')), handler)
 * ```
 */
export function requireOrganization(organizationOf: OrganizationOf): MiddlewareHandler<{
  Variables: { auth: AuthContext | OAuthContext | ApiKeyContext | UserContext }
}> {
  return guardWith((auth, c) => checkTenancy(auth, organizationOf(c)))
}

/**
 * Lets a request through only if the principal may perform `action` on `resourceId`; otherwise 403
 * `insufficient_permissions` with `required_permission`. Decided locally with Stytch's semantics:
 * for a member, by their RBAC roles (the project policy merged with the organization's custom
 * roles); for a Connected Apps token, by its scopes through the policy's `scopes`; for an M2M
 * token, by its scopes (`action:resource`, or `action:*`). With `organizationId`, the request's
 * organization must also be the principal's (403 `tenancy_mismatch`). The policy is loaded once
 * and refreshed in the background; with no policy loadable (Stytch down, nothing cached) the
 * answer is 503, never 403.
 *
 * @example
 * ```ts
 * app.delete(
 *   '/orgs/:orgId/documents/:id',
 *   requirePermission('documents', 'delete', { organizationId: (c) => c.req.param('orgId') }),
 *   handler
 * )
 * ```
 */
export function requirePermission(
  resourceId: string,
  action: string,
  options: { readonly organizationId?: OrganizationOf } = {}
): MiddlewareHandler<PrincipalEnv> {
  const { organizationId } = options
  const wanted = { ...permission(resourceId, action), resourceId, action }
  return guardWith<PrincipalEnv>((auth, c, binding) => {
    if (organizationId) checkTenancy(auth, organizationId(c))
    const decided = binding ? decide(binding, auth, wanted) : undefined
    if (decided === undefined)
      return permits(c, binding, auth, wanted).then((allowed) => {
        if (!allowed) throw new MissingPermissionError(resourceId, action)
      })
    if (!decided) throw new MissingPermissionError(resourceId, action)
  })
}

/**
 * Lets a request through only if its token (M2M, Connected Apps, Auth0) or API key holds every
 * listed scope, with Stytch's rule (`action:resource`; a held `action:*` covers every resource of
 * that action); otherwise 403 `insufficient_scope` with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"` (RFC 6750). A member's session holds no scopes.
 *
 * @example
 * ```ts
 * app.get('/api/reports', requireScopes('read:reports'), handler)
 * ```
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<{
  Variables: { auth: MachineContext | OAuthContext | ApiKeyContext | UserContext }
}> {
  return guardWith((auth) => {
    if (auth.kind === 'member' || !scopesCover(auth.scopes, scopes))
      throw new InsufficientScopeError(scopes)
  })
}

/**
 * Whether the authenticated principal may perform `action` on `resourceId` (as
 * {@link requirePermission} decides), for checks inside a handler. An unknown resource or action
 * is `false`; with no policy loadable it throws the 503 `StytchApiError` (as `withinLimit` does
 * for an unreachable entitlement source).
 *
 * @example
 * ```ts
 * app.get('/documents/:id', async (c) => {
 *   const canExport = await hasPermission(c, 'documents', 'export')
 *   return c.json({ ...(await load(c.req.param('id'))), canExport })
 * })
 * ```
 */
export async function hasPermission(
  c: Context,
  resourceId: string,
  action: string
): Promise<boolean> {
  const auth: unknown = (c as Context<PrincipalEnv>).get('auth')
  if (!auth) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  const wanted = { ...permission(resourceId, action), resourceId, action }
  return permits(c, bindingOf(c), auth as Principal, wanted)
}

/** A permission, with its resource and action (for M2M scopes). */
type Wanted = Permission & { readonly resourceId: string; readonly action: string }

/** The decision from what is in process memory, or `undefined` when the policy must be loaded. */
function decide(binding: Binding, auth: Principal, wanted: Wanted): boolean | undefined {
  switch (auth.kind) {
    case 'machine':
    case 'api_key':
    case 'user':
      return tokenGrants(auth, wanted.resourceId, wanted.action)
    case 'oauth':
      return policiesOf(binding).peekProject()?.grantsScopes(auth.scopes, wanted)
    case 'member': {
      const policies = policiesOf(binding)
      const project = policies.peekProject()
      const organization = policies.peekOrganization(auth.organizationId)
      if (!project || !organization) return undefined
      return project.grants(auth.roles, wanted) || organization.grants(auth.roles, wanted)
    }
  }
}

async function permits(
  c: Context,
  binding: Binding | undefined,
  auth: Principal,
  wanted: Wanted
): Promise<boolean> {
  if (auth.kind === 'machine' || auth.kind === 'api_key' || auth.kind === 'user')
    return tokenGrants(auth, wanted.resourceId, wanted.action)
  const policies = policiesOf(binding ?? (await defaultHolder().get(c)))
  if (auth.kind === 'oauth') return (await policies.loadProject()).grantsScopes(auth.scopes, wanted)
  const [project, organization] = await Promise.all([
    policies.loadProject(),
    policies.loadOrganization(auth.organizationId),
  ])
  return project.grants(auth.roles, wanted) || organization.grants(auth.roles, wanted)
}

function policiesOf(binding: Binding): PolicyStore {
  const policies = binding.runtime.policies
  if (!policies)
    throw new ConfigurationError(
      'permission checks read the RBAC policy from Stytch: set STYTCH_PROJECT_ID and STYTCH_SECRET (or pass a `client`)'
    )
  return policies
}
