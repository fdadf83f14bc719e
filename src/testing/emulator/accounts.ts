/**
 * @module
 * Organizations, members and sessions: creating and seeding them, ending and presenting sessions.
 */
import type { AuthenticationFactor, CustomRole, Member, MemberSession, Organization } from 'stytch'
import type { StytchEmulator } from './emulator.ts'
import { newSessionToken, testId } from './ids.ts'
import { mergeClaims, type EmulatorStore, type SessionRecord } from './store.ts'
import type { TokenMint } from './tokens.ts'
import {
  factorWire,
  memberSessionWire,
  memberWire,
  organizationWire,
  type FactorType,
} from './wire.ts'

/**
 * A session to create for an existing member.
 *
 * @example
 * await emulator.createSession({ memberId, factors: ['sso', 'totp'], customClaims: { plan: 1 } })
 */
export interface CreateSessionOptions {
  memberId: string
  /** Bare types expand to realistic factor objects. Default `['magic_link']`. */
  factors?: Array<FactorType | AuthenticationFactor>
  customClaims?: Record<string, unknown>
  /** Default 60. */
  durationMinutes?: number
  /** Overrides `durationMinutes`; may be in the past. */
  expiresAt?: Date
}

/**
 * Options for {@link StytchEmulator.seed}: a session's options plus the organization and member
 * to create first (default `Acme` / `acme` and `ada@acme.example` / `Ada Example`).
 *
 * @example
 * await emulator.seed({ member: { roles: ['stytch_admin'] }, factors: ['password', 'totp'] })
 */
export interface SeedOptions extends Omit<CreateSessionOptions, 'memberId'> {
  organization?: CreateOrganizationOptions
  member?: { email?: string; name?: string; roles?: string[] }
}

/**
 * A session as a client would hold it, with its wire shapes.
 *
 * @example
 * const { sessionToken, sessionJwt, session, member, organization } = await emulator.seed()
 */
export interface EmulatedSession {
  sessionToken: string
  sessionJwt: string
  session: MemberSession
  member: Member
  organization: Organization
}

/**
 * An organization to create: name (default `'Acme'`), slug (default derived from the name) and its
 * custom roles, which `GET /v1/b2b/rbac/organizations/:id` serves and the Organization's
 * `custom_roles` shows.
 *
 * @example
 * emulator.createOrganization({ name: 'Initech', customRoles: [{ role_id: 'auditor',
 *   description: 'Reads everything', permissions: [{ resource_id: 'documents', actions: ['read'] }] }] })
 */
export interface CreateOrganizationOptions {
  name?: string
  slug?: string
  customRoles?: CustomRole[]
}

/**
 * Creates organizations, members and sessions in the {@link EmulatorStore}, ends sessions as an
 * admin would, and presents a session with a fresh JWT, as a client would hold it.
 *
 * @example
 * const accounts = new Accounts(store, Date.now, tokens)
 * const { sessionToken, sessionJwt } = await accounts.seed()
 */
export class Accounts {
  readonly #store: EmulatorStore
  readonly #now: () => number
  readonly #tokens: TokenMint

  constructor(store: EmulatorStore, now: () => number, tokens: TokenMint) {
    this.#store = store
    this.#now = now
    this.#tokens = tokens
  }

  /** Creates an organization with a unique slug; throws when a given slug is taken. */
  createOrganization({
    name = 'Acme',
    slug,
    customRoles = [],
  }: CreateOrganizationOptions = {}): Organization {
    const taken = new Set(
      [...this.#store.organizations.values()].map((org) => org.organization_slug)
    )
    if (slug !== undefined && taken.has(slug))
      throw new Error(`The organization slug ${slug} is taken (organization_slug_already_used)`)
    let unique = slug ?? slugify(name)
    for (let n = 2; taken.has(unique); n++) unique = `${slugify(name)}-${n}`
    const organization = organizationWire({ name, slug: unique, at: this.#now() })
    organization.custom_roles = structuredClone(customRoles)
    this.#store.organizations.set(organization.organization_id, organization)
    return structuredClone(organization)
  }

  /** Creates an active member of an existing organization; throws for an unknown organization. */
  createMember(fields: {
    organizationId: string
    email?: string
    name?: string
    roles?: string[]
  }): Member {
    const organization = this.#store.organizations.get(fields.organizationId)
    if (!organization) {
      throw new Error(`No organization ${fields.organizationId}: createOrganization() first`)
    }
    const member = memberWire({
      organizationId: organization.organization_id,
      email:
        fields.email ??
        `${crypto.randomUUID().slice(0, 8)}@${organization.organization_slug}.example`,
      name: fields.name ?? '',
      roles: fields.roles ?? [],
      at: this.#now(),
    })
    this.#store.members.set(member.member_id, member)
    return structuredClone(member)
  }

  /** Starts a session for an existing member; throws for an unknown member. */
  async createSession(options: CreateSessionOptions): Promise<EmulatedSession> {
    const member = this.#store.members.get(options.memberId)
    const organization = member && this.#store.organizations.get(member.organization_id)
    if (!member || !organization) {
      throw new Error(`No member ${options.memberId}: createMember() first`)
    }
    const now = this.#now()
    const session: SessionRecord = {
      id: testId('member-session'),
      token: newSessionToken(),
      member,
      organization,
      startedAt: now,
      lastAccessedAt: now,
      expiresAt: options.expiresAt?.getTime() ?? now + (options.durationMinutes ?? 60) * 60_000,
      factors: (options.factors ?? ['magic_link']).map((factor) =>
        typeof factor === 'string' ? factorWire(factor, member, now) : structuredClone(factor)
      ),
      customClaims: mergeClaims({}, options.customClaims ?? {}),
    }
    this.#store.addSession(session)
    return this.present(session)
  }

  /** Creates an organization, a member and a session for them. */
  async seed(options: SeedOptions = {}): Promise<EmulatedSession> {
    const { organization: org = {}, member: person = {}, ...session } = options
    const { organization_id } = this.createOrganization({
      ...org,
      name: org.name ?? 'Acme',
      ...(org.slug !== undefined ? { slug: org.slug } : {}),
    })
    const { member_id } = this.createMember({
      organizationId: organization_id,
      email: person.email ?? 'ada@acme.example',
      name: person.name ?? 'Ada Example',
      roles: person.roles ?? [],
    })
    return this.createSession({ ...session, memberId: member_id })
  }

  /** Revokes a session by id or token; `false` if there was none. */
  revokeSession(sessionIdOrToken: string): boolean {
    const session = this.#find(sessionIdOrToken)
    if (session) this.#store.revoke(session)
    return session !== undefined
  }

  /** Makes a session (by id or token) expire now; `false` if there was none. */
  expireSession(sessionIdOrToken: string): boolean {
    const session = this.#find(sessionIdOrToken)
    if (session) this.#store.expire(session)
    return session !== undefined
  }

  /** A stored session as a client holds it, with a JWT issued now for 5 minutes. */
  async present(session: SessionRecord): Promise<EmulatedSession> {
    return {
      sessionToken: session.token,
      sessionJwt: await this.#tokens.sessionJwt(session, this.#now(), 300),
      session: memberSessionWire(session),
      member: structuredClone(session.member),
      organization: structuredClone(session.organization),
    }
  }

  #find(sessionIdOrToken: string): SessionRecord | undefined {
    return (
      this.#store.session({ id: sessionIdOrToken }) ??
      this.#store.session({ token: sessionIdOrToken })
    )
  }
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}
