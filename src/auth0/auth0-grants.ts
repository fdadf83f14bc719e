/**
 * @module
 * The permission rule of `requirePermission(resource, action)` for Auth0 principals.
 */
import type { Auth0Principal } from './auth0-principal.ts'

/**
 * Whether an Auth0 principal may perform `action` on `resourceId`: whether it holds the Auth0
 * permission string `action:resource` (e.g. `read:documents`), compared exactly.
 *
 * - A user's token that carries a `permissions` claim (RBAC with "Add Permissions in the Access
 *   Token") is decided by `permissions` alone. Its `scope` only says what the application asked
 *   for: with RBAC on it is a subset of `permissions`, and whatever an Action adds to it is not a
 *   permission of the user's.
 * - A user's token without a `permissions` claim is decided by `scope`.
 * - A machine's token is decided by `permissions` or `scope`: an M2M application's grants are the
 *   scopes of its client grant, and its `permissions`, when the dialect adds them, are often empty.
 *
 * @example
 * ```ts
 * auth0Grants(principal, 'documents', 'read') // true when the token holds 'read:documents'
 * ```
 */
export function auth0Grants(
  principal: Auth0Principal,
  resourceId: string,
  action: string
): boolean {
  const permission = `${action}:${resourceId}`
  if (principal.kind === 'machine') {
    return principal.permissions.includes(permission) || principal.scopes.includes(permission)
  }
  return principal.hasPermissionsClaim
    ? principal.permissions.includes(permission)
    : principal.scopes.includes(permission)
}
