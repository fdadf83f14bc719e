import type { AuthContext } from '../context/auth-context.ts'
import type { EntitledAuthContext } from '../context/auth-env.ts'
import {
  EntitlementsNotConfiguredError,
  EntitlementsUnavailableError,
} from '../errors/auth-error.ts'

/**
 * `auth` with its entitlements loaded, or the error to answer instead: 503 when the source is
 * unreachable (never an upgrade prompt), 403 when no source is configured or the organization has
 * no record in it.
 *
 * @example
 * ```ts
 * const entitled = loadedEntitlements(c.var.auth)
 * entitled.entitlements.includes('foresight')
 * ```
 */
export function loadedEntitlements(auth: AuthContext): EntitledAuthContext {
  switch (auth.entitlementsStatus) {
    case 'loaded':
      return auth as EntitledAuthContext
    case 'unavailable':
      throw new EntitlementsUnavailableError()
    case 'unknown_organization':
      throw new EntitlementsNotConfiguredError('No subscription is recorded for this organization')
    case 'not_configured':
      throw new EntitlementsNotConfiguredError()
  }
}
