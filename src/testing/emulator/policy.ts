/**
 * @module
 * The RBAC policy the emulator holds: the project's, each organization's custom roles, checks.
 */
import type {
  AuthorizationCheck,
  B2BRBACOrganizationsGetOrgPolicyResponse,
  CustomRole,
  Policy,
} from 'stytch'
import { stytchError } from './errors.ts'
import { newRequestId } from './ids.ts'
import { authorize, defaultPolicy, type AuthorizationOutcome } from './rbac.ts'
import type { EmulatorStore, SessionRecord } from './store.ts'
import { rfc3339 } from './wire.ts'

/**
 * The emulated project's RBAC policy (it starts as {@link defaultPolicy}) and its organizations'
 * custom roles, which `authorization_check` and the RBAC endpoints read on every request.
 *
 * @example
 * const policy = new ProjectPolicy(store, Date.now)
 * policy.set({ ...defaultPolicy(), scopes: [] })
 * const outcome = policy.authorize(session, check) // { verdict } or { refused }
 */
export class ProjectPolicy {
  #policy: Policy = defaultPolicy()
  readonly #store: EmulatorStore
  readonly #now: () => number

  constructor(store: EmulatorStore, now: () => number) {
    this.#store = store
    this.#now = now
  }

  /** A copy of the project's policy. */
  get(): Policy {
    return structuredClone(this.#policy)
  }

  /** Replaces the project's policy with a copy of `policy`. */
  set(policy: Policy): void {
    this.#policy = structuredClone(policy)
  }

  /** The names of the project's Connected Apps scopes. */
  scopes(): string[] {
    return this.#policy.scopes.map(({ scope }) => scope)
  }

  /** Replaces an organization's custom roles; throws for an unknown organization. */
  setOrganizationRoles(organizationId: string, roles: CustomRole[]): void {
    const organization = this.#store.organizations.get(organizationId)
    if (!organization) throw new Error(`No organization ${organizationId}`)
    organization.custom_roles = structuredClone(roles)
    organization.updated_at = rfc3339(this.#now())
  }

  /** The verdict on a check for a session, with the project's roles and its organization's. */
  authorize(session: SessionRecord, check: AuthorizationCheck): AuthorizationOutcome {
    return authorize({
      check,
      sessionOrganizationId: session.organization.organization_id,
      sessionRoles: session.member.roles.map((role) => role.role_id),
      policyRoles: [...this.#policy.roles, ...session.organization.custom_roles],
    })
  }

  /** `GET /v1/b2b/rbac/organizations/:organization_id`: an organization's custom roles. */
  orgPolicy(organizationId: string): Response {
    const organization = this.#store.organizations.get(organizationId)
    if (!organization) return stytchError(404, 'organization_not_found')
    return Response.json({
      request_id: newRequestId(),
      status_code: 200,
      org_policy: { roles: structuredClone(organization.custom_roles) },
    } satisfies B2BRBACOrganizationsGetOrgPolicyResponse)
  }
}
