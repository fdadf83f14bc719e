import type { Context } from 'hono'
import type { Principal } from '../context/auth-env.ts'
import { UNLIMITED } from '../entitlements/within-limit.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import { bindingOf } from '../middleware/authenticate.ts'

/**
 * A rate limit read from the organization's plan, for `rateLimit({ limit })`: its
 * `subscription_limits[name]` as loaded with the request's principal (`c.var.auth`), so a plan
 * change applies to the next request. `-1` means not limited; a whole number is the limit (`0`:
 * nothing is admitted). `fallback` applies when the plan sets no such limit, when no entitlements
 * are loaded (no source, an organization it does not know, a machine, an anonymous request), and
 * when the entitlement source is unreachable: an outage never lifts a limit, and never reads as an
 * upgrade prompt; that case is logged (WARN, once until the source answers again), as is a value
 * that is not a limit (a fraction, a string; logged once).
 *
 * @param name the limit's name in `subscription_limits`, e.g. `api_requests_per_minute`
 * @param fallback a positive whole number of requests per window
 * @example
 * ```ts
 * app.use('/api/*', stytchAuth(), rateLimit({ by: 'organization', window: 60,
 *   limit: planLimit('api_requests_per_minute', 60) }))
 * ```
 */
export function planLimit(name: string, fallback: number): (c: Context) => number {
  if (typeof name !== 'string' || name === '')
    throw new ConfigurationError('planLimit(name, fallback): name must be a non-empty string')
  if (!Number.isSafeInteger(fallback) || fallback < 1)
    throw new ConfigurationError(
      `planLimit('${name}', fallback): fallback must be a positive whole number (an outage never lifts a limit), got ${String(fallback)}`
    )
  // Set once an outage was logged, cleared when a plan is read again.
  let outageLogged = false
  // Set once a value that is not a limit was logged (the first organization with one is named).
  let invalidLogged = false
  return function planLimit(c) {
    const auth = c.get('auth') as Principal | null | undefined
    if (!auth || !('entitlementsStatus' in auth)) return fallback
    const logger = bindingOf(c)?.runtime.logger ?? console
    if (auth.entitlementsStatus === 'unavailable') {
      if (!outageLogged)
        logger.warn(
          `planLimit('${name}'): the entitlement source is unavailable; the fallback of ${fallback} applies until it answers`
        )
      outageLogged = true
      return fallback
    }
    if (auth.entitlementsStatus !== 'loaded') return fallback
    outageLogged = false
    const value: unknown = auth.subscriptionLimits?.[name]
    if (value === undefined) return fallback
    if (value === UNLIMITED || (Number.isSafeInteger(value) && (value as number) >= 0))
      return value as number
    if (!invalidLogged) {
      invalidLogged = true
      logger.warn(
        `planLimit('${name}'): organization ${auth.organizationId ?? '(none)'} has ${JSON.stringify(value)}, not a limit (a whole number, or -1 for none); the fallback of ${fallback} applies`
      )
    }
    return fallback
  }
}
