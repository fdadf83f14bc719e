import type { AuthenticationFactor, Member, MemberSession, Organization } from 'stytch'
import { testId } from './ids.ts'
import type { SessionRecord } from './store.ts'

/**
 * The authentication factor types a B2B session can hold (protocol §1.4).
 *
 * @example
 * const factors: FactorType[] = ['sso', 'totp']
 */
export type FactorType = (typeof factorTypes)[number]

/**
 * Every {@link FactorType}, e.g. to validate input.
 *
 * @example
 * factorTypes.includes('magic_link') // true
 */
export const factorTypes = [
  'magic_link',
  'email_otp',
  'otp',
  'oauth',
  'password',
  'sso',
  'totp',
  'recovery_codes',
  'impersonated',
  'imported',
  'trusted_auth_token',
] as const

/**
 * A timestamp as Stytch writes it: RFC 3339, UTC, second precision.
 *
 * @example
 * rfc3339(Date.UTC(2026, 4, 1, 10)) // '2026-05-01T10:00:00Z'
 */
export function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}

/**
 * A complete `Organization` (protocol §1.6) with Stytch's defaults.
 *
 * @example
 * organizationWire({ name: 'Acme', slug: 'acme', at: Date.now() })
 */
export function organizationWire(fields: { name: string; slug: string; at: number }): Organization {
  const at = rfc3339(fields.at)
  return {
    organization_id: testId('organization'),
    organization_name: fields.name,
    organization_logo_url: '',
    organization_slug: fields.slug,
    sso_jit_provisioning: 'ALL_ALLOWED',
    sso_jit_provisioning_allowed_connections: [],
    sso_active_connections: [],
    email_allowed_domains: [],
    email_jit_provisioning: 'NOT_ALLOWED',
    email_invites: 'ALL_ALLOWED',
    auth_methods: 'ALL_ALLOWED',
    allowed_auth_methods: [],
    mfa_policy: 'OPTIONAL',
    rbac_email_implicit_role_assignments: [],
    mfa_methods: 'ALL_ALLOWED',
    allowed_mfa_methods: [],
    oauth_tenant_jit_provisioning: 'NOT_ALLOWED',
    claimed_email_domains: [],
    first_party_connected_apps_allowed_type: 'ALL_ALLOWED',
    allowed_first_party_connected_apps: [],
    third_party_connected_apps_allowed_type: 'ALL_ALLOWED',
    allowed_third_party_connected_apps: [],
    custom_roles: [],
    trusted_metadata: {},
    created_at: at,
    updated_at: at,
  }
}

/**
 * A complete, active `Member` (protocol §1.5). Every member holds `stytch_member`, as in Stytch.
 *
 * @example
 * memberWire({ organizationId, email: 'ada@acme.example', name: 'Ada', roles: [], at: Date.now() })
 */
export function memberWire(fields: {
  organizationId: string
  email: string
  name: string
  roles: readonly string[]
  at: number
}): Member {
  const at = rfc3339(fields.at)
  const roles = new Set(['stytch_member', ...fields.roles])
  return {
    organization_id: fields.organizationId,
    member_id: testId('member'),
    email_address: fields.email,
    status: 'active',
    name: fields.name,
    sso_registrations: [],
    is_breakglass: false,
    member_password_id: '',
    oauth_registrations: [],
    email_address_verified: true,
    mfa_phone_number_verified: false,
    is_admin: roles.has('stytch_admin'),
    totp_registration_id: '',
    retired_email_addresses: [],
    is_locked: false,
    mfa_enrolled: false,
    mfa_phone_number: '',
    default_mfa_method: '',
    roles: [...roles].map((role_id) => ({
      role_id,
      sources: [{ type: 'direct_assignment', details: {} }],
    })),
    trusted_metadata: {},
    untrusted_metadata: {},
    created_at: at,
    updated_at: at,
  }
}

type FactorDetails = Omit<AuthenticationFactor, 'type'>

const factorDetails: Record<FactorType, (member: Member) => FactorDetails> = {
  magic_link: (member) => ({ delivery_method: 'email', email_factor: emailFactor(member) }),
  email_otp: (member) => ({ delivery_method: 'email', email_factor: emailFactor(member) }),
  password: (member) => ({ delivery_method: 'knowledge', email_factor: emailFactor(member) }),
  otp: () => ({
    delivery_method: 'sms',
    phone_number_factor: { phone_id: testId('phone-number'), phone_number: '+15005550006' },
  }),
  oauth: () => ({
    delivery_method: 'oauth_google',
    google_oauth_factor: {
      id: testId('oauth-member-registration'),
      provider_subject: '100000000000000000000',
      email_id: testId('member-email'),
    },
  }),
  sso: () => ({
    delivery_method: 'sso_saml',
    saml_sso_factor: {
      id: testId('saml-member-registration'),
      provider_id: testId('saml-connection'),
      external_id: crypto.randomUUID(),
    },
  }),
  totp: () => ({
    delivery_method: 'authenticator_app',
    authenticator_app_factor: { totp_id: testId('member-totp') },
  }),
  recovery_codes: () => ({
    delivery_method: 'recovery_code',
    recovery_code_factor: { totp_recovery_code_id: testId('member-totp-recovery-code') },
  }),
  impersonated: () => ({
    delivery_method: 'impersonation',
    impersonated_factor: {
      impersonator_id: testId('member'),
      impersonator_email_address: 'support@stytch.example',
    },
  }),
  imported: () => ({ delivery_method: 'imported_auth0' }),
  trusted_auth_token: () => ({
    delivery_method: 'trusted_token_exchange',
    trusted_auth_token_factor: { token_id: testId('trusted-auth-token') },
  }),
}

function emailFactor(member: Member) {
  return { email_id: testId('member-email'), email_address: member.email_address }
}

/**
 * A realistic `AuthenticationFactor` of the given type for `member`, authenticated at `at`:
 * the matching `delivery_method` and `<kind>_factor` sub-object (protocol §1.4).
 *
 * @example
 * factorWire('sso', member, Date.now()) // { type: 'sso', delivery_method: 'sso_saml', … }
 */
export function factorWire(type: FactorType, member: Member, at: number): AuthenticationFactor {
  const time = rfc3339(at)
  return {
    type,
    ...factorDetails[type](member),
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
  }
}

/**
 * The `member_session` Stytch returns for a stored session (protocol §1.3).
 *
 * @example
 * memberSessionWire(record).expires_at // '2026-05-01T11:00:00Z'
 */
export function memberSessionWire(session: SessionRecord): MemberSession {
  return {
    member_session_id: session.id,
    member_id: session.member.member_id,
    started_at: rfc3339(session.startedAt),
    last_accessed_at: rfc3339(session.lastAccessedAt),
    expires_at: rfc3339(session.expiresAt),
    authentication_factors: structuredClone(session.factors),
    organization_id: session.organization.organization_id,
    organization_slug: session.organization.organization_slug,
    roles: session.member.roles.map((role) => role.role_id),
    custom_claims: structuredClone(session.customClaims),
  }
}
