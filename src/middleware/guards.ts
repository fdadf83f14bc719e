/**
 * @module
 * Route guards: checks of the verified session (claims, factors, entitlements) that answer 403, and
 * the `guard()` they are built with.
 */
import type { Context, Env, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthContext } from '../context/auth-context.ts'
import type { AuthEnv, EntitledAuthEnv } from '../context/auth-env.ts'
import { DEFAULT_EXTRACTION_RULES } from '../credential/extract-credential.ts'
import { loadedEntitlements } from '../entitlements/within-limit.ts'
import {
  AuthError,
  MISSING_TOKEN_MESSAGE,
  MissingClaimsError,
  MissingEntitlementError,
  MissingFactorsError,
  TokenExtractionError,
} from '../errors/auth-error.ts'
import {
  authenticate,
  bind,
  bindingOf,
  lazyBinding,
  missingClaims,
  missingFactors,
} from './stytch-auth.ts'

/**
 * Builds a route guard from a check of the session. The guard uses the session `stytchAuth()`
 * verified; used alone, it authenticates the request itself with the default settings (so a single
 * route can be protected by a guard alone). In optional mode an anonymous request gets a 401.
 * Errors go through the preceding `stytchAuth()`'s `onError`, if it has one.
 *
 * @example
 * ```ts
 * const requireOwner = guard((auth) => {
 *   if (auth.sessionCustomClaims.role !== 'owner') throw new MissingClaimsError(['role'])
 * })
 * ```
 */
export function guard<E extends Env>(check: (auth: AuthContext) => void): MiddlewareHandler<E> {
  const defaults = lazyBinding({})
  return createMiddleware<E>(async function guard(c, next) {
    try {
      check(await sessionOf(c, defaults))
    } catch (error) {
      const onError = bindingOf(c)?.onError
      if (error instanceof AuthError && onError) return onError(error, c)
      throw error
    }
    await next()
  })
}

/** The session `stytchAuth()` put on `c`, or, when none ran, the request authenticated with the defaults. */
async function sessionOf(
  c: Context,
  defaults: ReturnType<typeof lazyBinding>
): Promise<AuthContext> {
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
  return guard<AuthEnv>((auth) => {
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
  return guard<AuthEnv>((auth) => {
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
  return guard<EntitledAuthEnv>((auth) => {
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
  return guard<EntitledAuthEnv>((auth) => {
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
  return guard<EntitledAuthEnv>((auth) => {
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
