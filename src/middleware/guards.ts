/**
 * @module
 * Route guards: checks of the verified session (claims, factors, entitlements, tenancy, RBAC
 * permissions) that answer 403, the `guard()` they are built with, and `hasPermission()` for
 * handlers.
 */
import type { Context, Env, MiddlewareHandler, Next } from 'hono'
import type { PolicyStore } from '../authorization/policy-store.ts'
import type { AuthContext } from '../context/auth-context.ts'
import type { AuthEnv, EntitledAuthEnv } from '../context/auth-env.ts'
import { DEFAULT_EXTRACTION_RULES } from '../credential/extract-credential.ts'
import { loadedEntitlements } from '../entitlements/within-limit.ts'
import {
  AuthError,
  ConfigurationError,
  MISSING_TOKEN_MESSAGE,
  MissingClaimsError,
  MissingEntitlementError,
  MissingFactorsError,
  MissingPermissionError,
  TenancyMismatchError,
  TokenExtractionError,
} from '../errors/auth-error.ts'
import {
  authenticate,
  bind,
  bindingOf,
  lazyBinding,
  missingClaims,
  missingFactors,
  type Binding,
} from './stytch-auth.ts'

/**
 * A check of a guard: throws the `AuthError` to answer, or settles a promise that does. `binding`
 * is the `stytchAuth()` that authenticated the request, else the guard's own defaults.
 */
type Check = (auth: AuthContext, c: Context, binding: Binding | LazyBinding) => void | Promise<void>

type LazyBinding = ReturnType<typeof lazyBinding>

/**
 * Builds a route guard from a check of the session. The guard uses the session `stytchAuth()`
 * verified; used alone, it authenticates the request itself with the default settings (so a single
 * route can be protected by a guard alone). In optional mode an anonymous request gets a 401.
 * Errors go through the preceding `stytchAuth()`'s `onError`, if it has one. A check that
 * decides synchronously costs no promise of its own.
 *
 * @example
 * ```ts
 * const requireOwner = guard((auth) => {
 *   if (auth.sessionCustomClaims.role !== 'owner') throw new MissingClaimsError(['role'])
 * })
 * ```
 */
export function guard<E extends Env>(
  check: (auth: AuthContext) => void | Promise<void>
): MiddlewareHandler<E> {
  return guardWith<E>((auth) => check(auth))
}

function guardWith<E extends Env>(check: Check): MiddlewareHandler<E> {
  const defaults = lazyBinding({})
  const answered = (c: Context, error: unknown) => {
    const onError = bindingOf(c)?.onError
    if (error instanceof AuthError && onError) return onError(error, c)
    throw error
  }
  const slowly = async (c: Context, next: Next) => {
    try {
      await check(await sessionOf(c, defaults), c, bindingOf(c) ?? defaults)
    } catch (error) {
      return answered(c, error)
    }
    await next()
  }
  return function guard(c, next) {
    const auth: unknown = c.get('auth')
    if (!auth) return slowly(c, next)
    let pending: void | Promise<void>
    try {
      pending = check(auth as AuthContext, c, bindingOf(c) ?? defaults)
    } catch (error) {
      return Promise.resolve(answered(c, error))
    }
    return pending
      ? pending.then(
          () => next(),
          (error: unknown) => answered(c, error)
        )
      : next()
  } as MiddlewareHandler<E>
}

/** The session `stytchAuth()` put on `c`, or, when none ran, the request authenticated with the defaults. */
async function sessionOf(c: Context, defaults: LazyBinding): Promise<AuthContext> {
  const existing: unknown = c.get('auth')
  if (existing === null) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  if (existing !== undefined) return existing as AuthContext
  const binding = defaults.ready ?? (await defaults(c))
  const auth = await authenticate(c, binding.runtime, DEFAULT_EXTRACTION_RULES, false)
  if (!auth) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  c.set('auth', auth)
  bind(c, binding)
  return auth
}

/** Names the organization a request is about (an id or a slug), e.g. from a path parameter. */
export type OrganizationOf = (c: Context) => string | undefined

/**
 * Lets a request through only if the organization it names (by Stytch organization id or slug) is
 * the session's; otherwise 403 `tenancy_mismatch`. This is the check a route with an `:orgId`
 * parameter needs before it trusts that parameter. A getter answering `undefined` names no
 * organization: the request is about the session's own.
 *
 * @example
 * ```ts
 * app.get('/orgs/:orgId/invoices', requireOrganization((c) => c.req.param('orgId')), handler)
 * ```
 */
export function requireOrganization(organizationOf: OrganizationOf): MiddlewareHandler<AuthEnv> {
  return guardWith<AuthEnv>((auth, c) => checkTenancy(auth, organizationOf(c)))
}

/**
 * Lets a request through only if the member's Stytch RBAC roles grant `action` on `resourceId`
 * (project policy merged with the organization's custom roles, decided locally with Stytch's
 * semantics); otherwise 403 `insufficient_permissions` with `required_permission`. With
 * `organizationId`, the request's organization must also be the session's (403
 * `tenancy_mismatch`). The policy is loaded once and refreshed in the background; with no policy
 * loadable (Stytch down, nothing cached) the answer is 503, never 403.
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
): MiddlewareHandler<AuthEnv> {
  const { organizationId } = options
  return guardWith<AuthEnv>((auth, c, binding) => {
    if (organizationId) checkTenancy(auth, organizationId(c))
    const decided =
      'runtime' in binding
        ? policiesOf(binding).decide(auth.organizationId, auth.roles, resourceId, action)
        : undefined
    if (decided === undefined)
      return permits(c, binding, auth, resourceId, action).then((allowed) => {
        if (!allowed) throw new MissingPermissionError(resourceId, action)
      })
    if (!decided) throw new MissingPermissionError(resourceId, action)
  })
}

/**
 * Whether the authenticated member's roles grant `action` on `resourceId`, for checks inside a
 * handler. An unknown resource or action is `false`; with no policy loadable it throws the 503
 * `StytchApiError` (as `withinLimit` does for an unreachable entitlement source).
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
  const auth: unknown = c.get('auth')
  if (!auth) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  return permits(c, bindingOf(c) ?? lazyBinding({}), auth as AuthContext, resourceId, action)
}

async function permits(
  c: Context,
  binding: Binding | LazyBinding,
  auth: AuthContext,
  resourceId: string,
  action: string
): Promise<boolean> {
  const bound = 'runtime' in binding ? binding : (binding.ready ?? (await binding(c)))
  const policies = await policiesOf(bound).load(auth.organizationId)
  return policies.some((policy) => policy.grants(auth.roles, resourceId, action))
}

function policiesOf(binding: Binding): PolicyStore {
  const policies = binding.runtime.policies
  if (!policies)
    throw new ConfigurationError(
      'permission checks read the RBAC policy from Stytch: set STYTCH_PROJECT_ID and STYTCH_SECRET (or pass a `client`)'
    )
  return policies
}

function checkTenancy(auth: AuthContext, organization: string | undefined): void {
  if (organization === undefined) return
  if (organization !== auth.organizationId && organization !== auth.organizationSlug)
    throw new TenancyMismatchError()
}

/**
 * Lets a request through only if its session carries these custom claims: each named claim present
 * and not `false`/`null`, or, given a record, each claim equal to its value. Otherwise 403
 * `insufficient_permissions`.
 *
 * @example
 * ```ts
 * app.get('/admin', requireClaims('admin'), handler)
 * app.get('/billing', requireClaims({ role: 'billing' }), handler)
 * ```
 */
export function requireClaims(
  ...claims: string[] | [Readonly<Record<string, unknown>>]
): MiddlewareHandler<AuthEnv> {
  const requirement = typeof claims[0] === 'object' ? claims[0] : (claims as string[])
  return guardWith<AuthEnv>((auth) => {
    const missing = missingClaims(auth, requirement)
    if (missing.length > 0) throw new MissingClaimsError(missing)
  })
}

/**
 * Lets a request through only if its session was authenticated with these factors: Stytch factor
 * `type`s (`magic_link`, `sso`, `totp`, `password`, …), or `mfa` for two or more distinct factors.
 * Otherwise 403 `insufficient_authentication`.
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
