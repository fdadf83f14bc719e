/**
 * @module
 * What a token-based principal may do, decided from the token alone: an M2M client, an API key and
 * an Auth0 user hold their grants in the credential (no policy to load).
 */
import type { ApiKeyContext } from '../context/api-key-context.ts'
import type { MachineContext } from '../context/token-contexts.ts'
import type { UserContext } from '../context/user-context.ts'
import { scopesCover } from './policy.ts'

/**
 * Whether the principal may perform `action` on `resourceId` (the permission `action:resource`):
 * a machine by its `permissions` (Auth0) or its scopes with Stytch's rule (`action:*` covers every
 * resource); an API key by its scopes, with the same rule; an Auth0 user by its `permissions` claim
 * when the token has one (Auth0 RBAC), else by its `scope`.
 *
 * @example
 * ```ts
 * tokenGrants(auth, 'documents', 'read') // true for an API key scoped 'read:documents' or 'read:*'
 * ```
 */
export function tokenGrants(
  auth: MachineContext | ApiKeyContext | UserContext,
  resourceId: string,
  action: string
): boolean {
  const wanted = `${action}:${resourceId}`
  switch (auth.kind) {
    case 'machine':
      return auth.permissions.includes(wanted) || scopesCover(auth.scopes, [wanted])
    case 'api_key':
      return scopesCover(auth.scopes, [wanted])
    case 'user':
      return auth.hasPermissionsClaim
        ? auth.permissions.includes(wanted)
        : auth.scopes.includes(wanted)
  }
}
