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
 *
 * - an Auth0 user whose token carries a `permissions` claim (RBAC with "Add Permissions in the
 *   Access Token") by `permissions` alone, compared exactly: its `scope` only says what the
 *   application asked for (with RBAC on, a subset of `permissions`), and whatever an Action adds
 *   to it is no permission of the user's; a user's token without the claim by its `scope`, exactly;
 * - a machine (Stytch or Auth0 M2M) by its `permissions` (Auth0's, when the API's token dialect
 *   adds them; often empty for M2M) or its scopes with Stytch's rule (`action:*` covers every
 *   resource): an M2M application's grants are the scopes of its client grant;
 * - an API key by its scopes, with the same rule.
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
