/**
 * @module
 * Stytch RBAC policies and the decision they make, with the semantics of the Stytch SDK's local
 * check (`performBaseRoleAuthorizationCheck`, `performBaseScopeAuthorizationCheck`): a role (or an
 * OAuth scope) grants `(resource_id, action)` when one of its permissions has exactly that
 * `resource_id` and the action or `*`. A policy is compiled once into sets, so a decision costs a
 * `Set` lookup per role, not a walk of the policy.
 */
import * as v from 'valibot'

const Permission = v.looseObject({ resource_id: v.string(), actions: v.array(v.string()) })
const Role = v.looseObject({ role_id: v.string(), permissions: v.array(Permission) })
const Scope = v.looseObject({ scope: v.string(), permissions: v.array(Permission) })

/** What a policy endpoint answers: the project's roles and scopes, or an organization's custom roles. */
export const PolicyWireSchema = v.object({
  roles: v.nullish(v.array(Role), () => []),
  scopes: v.nullish(v.array(Scope), () => []),
})

/** A policy as the library caches it: the wire data and when it was fetched. */
export const CachedPolicySchema = v.pipe(
  v.object({ fetchedAt: v.number(), ...PolicyWireSchema.entries }),
  v.transform((cached) => new Policy(cached))
)

type PolicyData = v.InferOutput<typeof PolicyWireSchema> & { readonly fetchedAt: number }

/** `(resource_id, action)` as one set member. */
const keyOf = (resourceId: string, action: string) => `${resourceId}\u0000${action}`

/** A permission to check, as the set members that grant it (made once per guard, not per request). */
export interface Permission {
  readonly exact: string
  readonly any: string
}

/**
 * The {@link Permission} to do `action` on `resourceId`.
 *
 * @example
 * ```ts
 * const deleteDocuments = permission('documents', 'delete')
 * policy.grants(auth.roles, deleteDocuments)
 * ```
 */
export function permission(resourceId: string, action: string): Permission {
  return { exact: keyOf(resourceId, action), any: keyOf(resourceId, '*') }
}

/** Every `(resource_id, action)` each holder (role or scope) grants, `*` actions kept as `*`. */
function grantsOf(
  holders: readonly { readonly permissions: readonly v.InferOutput<typeof Permission>[] }[],
  idOf: (holder: never) => string
): Map<string, Set<string>> {
  const grants = new Map<string, Set<string>>()
  for (const holder of holders) {
    const id = idOf(holder as never)
    const set = grants.get(id) ?? new Set<string>()
    for (const { resource_id, actions } of holder.permissions)
      for (const action of actions) set.add(keyOf(resource_id, action))
    grants.set(id, set)
  }
  return grants
}

/**
 * A compiled RBAC policy: the project's (roles and scopes) or an organization's (custom roles).
 * A role id defined twice (by the project and by an organization) grants the union of both.
 *
 * @example
 * ```ts
 * const policy = new Policy({ fetchedAt: Date.now(), roles, scopes: [] })
 * policy.grants(['editor'], permission('documents', 'write')) // true when editor may write documents
 * ```
 */
export class Policy {
  readonly #roles: Map<string, Set<string>>
  readonly #scopes: Map<string, Set<string>>

  constructor(readonly data: PolicyData) {
    this.#roles = grantsOf(data.roles, (role: { role_id: string }) => role.role_id)
    this.#scopes = grantsOf(data.scopes, (scope: { scope: string }) => scope.scope)
  }

  /** When the policy was fetched from Stytch (epoch ms). */
  get fetchedAt(): number {
    return this.data.fetchedAt
  }

  /** Whether one of `roles` grants the permission. */
  grants(roles: readonly string[], wanted: Permission): boolean {
    return holds(this.#roles, roles, wanted)
  }

  /** Whether one of the OAuth `scopes` grants the permission (through the policy's `scopes`). */
  grantsScopes(scopes: readonly string[], wanted: Permission): boolean {
    return holds(this.#scopes, scopes, wanted)
  }
}

function holds(
  grants: Map<string, Set<string>>,
  holders: readonly string[],
  { exact, any }: Permission
): boolean {
  for (const holder of holders) {
    const set = grants.get(holder)
    if (set && (set.has(exact) || set.has(any))) return true
  }
  return false
}

/**
 * Whether held scopes cover every required one, with the Stytch SDK's rule for M2M scopes
 * (`performAuthorizationCheck` of `m2m_local`): a scope is `action:resource` or a bare `action`,
 * and a held `action:*` covers every resource of that action.
 *
 * @example
 * ```ts
 * scopesCover(['read:*'], ['read:reports'])           // true
 * scopesCover(['read:users'], ['read:reports'])       // false
 * ```
 */
export function scopesCover(held: readonly string[], required: readonly string[]): boolean {
  const resourcesByAction = new Map<string, Set<string>>()
  for (const scope of held) {
    const [action, resource] = splitScope(scope)
    const resources = resourcesByAction.get(action) ?? new Set<string>()
    resourcesByAction.set(action, resources.add(resource))
  }
  return required.every((scope) => {
    const [action, resource] = splitScope(scope)
    const resources = resourcesByAction.get(action)
    return resources !== undefined && (resources.has('*') || resources.has(resource))
  })
}

function splitScope(scope: string): [action: string, resource: string] {
  if (!scope.includes(':')) return [scope, '-']
  const [action = '', resource = ''] = scope.split(':')
  return [action, resource]
}
