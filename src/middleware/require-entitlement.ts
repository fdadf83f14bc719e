/**
 * @module
 * Route guards on the organization's entitlements, with the 403 bodies of the original package.
 */
import type { MiddlewareHandler } from 'hono'
import type { EntitledAuthEnv } from '../context/auth-env.ts'
import { loadedEntitlements } from '../entitlements/loaded-entitlements.ts'
import { MissingEntitlementError } from '../errors/auth-error.ts'
import { guard } from './guard.ts'

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
