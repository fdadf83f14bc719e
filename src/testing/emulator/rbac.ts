import type { AuthorizationCheck, AuthorizationVerdict, Policy, PolicyRole } from 'stytch'

const everything = ['*']

/**
 * The project policy an emulator starts with: Stytch's default Resources and the default Roles
 * `stytch_member` (everything on `stytch.self`) and `stytch_admin` (everything on every default
 * Resource), as Stytch ships them, plus an example `documents` Resource, an `editor` Role and three
 * Connected Apps scopes. The action lists of the `stytch.*` Resources are abridged: Stytch's own
 * lists are longer and only visible in its dashboard.
 *
 * @example
 * emulator.setPolicy({ ...defaultPolicy(), roles: [...defaultPolicy().roles, auditor] })
 */
export function defaultPolicy(): Policy {
  return {
    resources: [
      {
        resource_id: 'stytch.self',
        description: "The logged-in Member's own Member object.",
        actions: [
          'update.info.name',
          'update.info.untrusted_metadata',
          'revoke_sessions',
          'delete',
        ],
      },
      {
        resource_id: 'stytch.organization',
        description: 'The Organization.',
        actions: ['update.info.name', 'update.info.slug', 'update.settings', 'delete'],
      },
      {
        resource_id: 'stytch.member',
        description: 'Every Member of the Organization.',
        actions: ['create', 'search', 'update.info.name', 'update.settings.roles', 'delete'],
      },
      {
        resource_id: 'stytch.sso',
        description: 'SSO connections.',
        actions: ['create', 'get', 'update', 'delete'],
      },
      {
        resource_id: 'stytch.scim',
        description: 'SCIM connections.',
        actions: ['create', 'get', 'update', 'delete'],
      },
      {
        resource_id: 'documents',
        description: "The Organization's documents (an example custom Resource).",
        actions: ['read', 'write', 'delete', 'export'],
      },
    ],
    roles: [
      {
        role_id: 'stytch_member',
        description: 'Granted to every Member.',
        permissions: [
          { resource_id: 'stytch.self', actions: everything },
          { resource_id: 'documents', actions: ['read'] },
        ],
      },
      {
        role_id: 'stytch_admin',
        description: 'Granted to the Member who created the Organization; every admin action.',
        permissions: [
          'stytch.self',
          'stytch.organization',
          'stytch.member',
          'stytch.sso',
          'stytch.scim',
          'documents',
        ].map((resource_id) => ({ resource_id, actions: everything })),
      },
      {
        role_id: 'editor',
        description: 'Reads and writes documents.',
        permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }],
      },
    ],
    scopes: [
      {
        scope: 'read:documents',
        description: 'Read documents.',
        permissions: [{ resource_id: 'documents', actions: ['read'] }],
      },
      {
        scope: 'write:documents',
        description: 'Write documents.',
        permissions: [{ resource_id: 'documents', actions: ['write'] }],
      },
      {
        scope: 'manage:documents',
        description: 'Everything on documents.',
        permissions: [{ resource_id: 'documents', actions: everything }],
      },
    ],
  }
}

/**
 * The outcome of an `authorization_check`: the verdict, or why it was refused.
 *
 * @example
 * const outcome = authorize({ check, sessionOrganizationId, sessionRoles, policyRoles })
 * if ('refused' in outcome) return stytchError(403, outcome.refused)
 */
export type AuthorizationOutcome =
  | { verdict: AuthorizationVerdict }
  | { refused: 'session_authorization_tenancy_error' | 'session_authorization_error' }

/**
 * Decides an `authorization_check` exactly as the SDK's local check does
 * (`performAuthorizationCheck` in `dist/b2b/rbac_local.js`): another organization than the
 * session's is a tenancy error, checked first; otherwise the session's roles, looked up among
 * `policyRoles` (the project's roles followed by the session organization's custom roles, so a role
 * id defined in both grants the union), must hold a permission whose `resource_id` is the checked
 * one and whose actions contain the checked action or `*`.
 *
 * `granting_roles` lists each granting session role once, in the session's order (inferred: Stytch
 * documents the field but not its order). The refusal names are Stytch's documented 403
 * `error_type`s (https://stytch.com/docs/b2b/api/errors/403); the SDK's local check throws
 * `ClientError('tenancy_mismatch')` and `ClientError('invalid_permissions')` for the same cases.
 *
 * @example
 * authorize({
 *   check: { organization_id: orgId, resource_id: 'documents', action: 'read' },
 *   sessionOrganizationId: orgId,
 *   sessionRoles: ['stytch_member'],
 *   policyRoles: defaultPolicy().roles,
 * }) // { verdict: { authorized: true, granting_roles: ['stytch_member'] } }
 */
export function authorize({
  check,
  sessionOrganizationId,
  sessionRoles,
  policyRoles,
}: {
  check: AuthorizationCheck
  sessionOrganizationId: string
  sessionRoles: readonly string[]
  policyRoles: readonly PolicyRole[]
}): AuthorizationOutcome {
  if (check.organization_id !== sessionOrganizationId) {
    return { refused: 'session_authorization_tenancy_error' }
  }
  const grants = (role: PolicyRole) =>
    role.permissions.some(
      (permission) =>
        permission.resource_id === check.resource_id &&
        (permission.actions.includes(check.action) || permission.actions.includes('*'))
    )
  const granting = [...new Set(sessionRoles)].filter((roleId) =>
    policyRoles.some((role) => role.role_id === roleId && grants(role))
  )
  return granting.length > 0
    ? { verdict: { authorized: true, granting_roles: granting } }
    : { refused: 'session_authorization_error' }
}
