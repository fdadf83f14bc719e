import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type {
  AuthenticationFactor,
  AuthorizationCheck,
  B2BRBACOrganizationsGetOrgPolicyResponse,
  B2BRBACPolicyResponse,
  B2BSessionsAuthenticateResponse,
  CustomRole,
  Member,
  MemberSession,
  Organization,
  Policy,
  TokenResponse,
} from 'stytch'
import { adminRoutes } from './admin.ts'
import { requireProjectCredentials } from './auth.ts'
import { stytchError } from './errors.ts'
import {
  ConnectionReset,
  FaultRules,
  type EmulatorEnv,
  type Endpoint,
  type Fault,
  type FaultOptions,
  type FaultRule,
} from './faults.ts'
import { newRequestId, newSessionToken, testId } from './ids.ts'
import {
  readAccessToken,
  readSessionJwt,
  signAccessToken,
  signM2MToken,
  signSessionJwt,
} from './jwt.ts'
import { KeyRing, type SigningKey } from './keys.ts'
import {
  authorizationServerMetadata,
  basicClientCredentials,
  oauthError,
  oauthParameters,
} from './oauth.ts'
import { authorize, defaultPolicy } from './rbac.ts'
import { EmulatorStore, mergeClaims, type SessionLocator, type SessionRecord } from './store.ts'
import {
  factorWire,
  memberSessionWire,
  memberWire,
  organizationWire,
  rfc3339,
  type FactorType,
} from './wire.ts'

/**
 * How to set up an emulator. Every field is optional.
 *
 * @example
 * stytchEmulator({ latencyMs: 20, now: () => clock.now() })
 */
export interface StytchEmulatorOptions {
  /** Default `'project-test-00000000-0000-4000-8000-000000000000'`. */
  projectId?: string
  /** Default `'secret-test-emulator-00000000000000000000'`. */
  secret?: string
  /** Delay added to every `/v1` API response, in ms (default 0). */
  latencyMs?: number
  /** The clock in ms (default `Date.now`): session expiry, timestamps, JWT `iat`/`exp`. */
  now?: () => number
  /** Run even when `NODE_ENV` is `production` (default `false`). */
  allowProduction?: boolean
  /**
   * The URL the emulator is reachable at, without a trailing slash: the `iss` of Connected Apps
   * access tokens, as a project domain is in Stytch. `startStytchEmulator()` sets it.
   */
  baseUrl?: string
}

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
 * How many requests reached each API endpoint (named as in {@link Endpoint}), faulted or not;
 * `total` counts every request under `/v1/` and `/.well-known/`, unknown paths included.
 *
 * @example
 * expect(emulator.calls).toMatchObject({ authenticate: 1, policy: 1, token: 0, total: 2 })
 */
export interface EmulatorCalls extends Record<Endpoint, number> {
  total: number
}

/**
 * An M2M client to register. `clientId` defaults to `m2m-client-test-<uuid>`, `clientSecret` to 44
 * random base64url characters; `customClaims` go into every access token issued to the client.
 *
 * @example
 * emulator.createM2MClient({ scopes: ['read:reports', 'write:reports'], customClaims: { tier: 'gold' } })
 */
export interface CreateM2MClientOptions {
  scopes: string[]
  customClaims?: Record<string, unknown>
  clientId?: string
  clientSecret?: string
}

/**
 * A registered M2M client's credentials, as `client.m2m.token({ client_id, client_secret })` takes them.
 *
 * @example
 * const { clientId, clientSecret } = emulator.createM2MClient({ scopes: ['read:reports'] })
 */
export interface M2MClientCredentials {
  clientId: string
  clientSecret: string
  scopes: string[]
}

/**
 * Claims of a token minted directly, bypassing the token endpoint; set them to forge tokens in
 * attack tests. `issuedAt` (default now) sets `iat` and `nbf`; `exp` is `issuedAt +
 * expiresInSeconds` (default 3600; negative for an expired token); `issuer` and `audience` replace
 * the claims a verifier checks.
 *
 * @example
 * const expired: MintTokenOptions = { issuedAt: new Date(Date.now() - 7_200_000) }
 */
export interface MintTokenOptions {
  expiresInSeconds?: number
  issuedAt?: Date
  customClaims?: Record<string, unknown>
  issuer?: string
  audience?: string | string[]
}

/**
 * An M2M access token to mint for `clientId`, which need not be registered. `scopes` and
 * `customClaims` default to the registered client's (none for an unknown client); the given
 * scopes need not be the client's allowed ones.
 *
 * @example
 * await emulator.mintM2MToken({ clientId, scopes: ['admin:*'], expiresInSeconds: -60 })
 */
export interface MintM2MTokenOptions extends MintTokenOptions {
  clientId: string
  scopes?: string[]
}

/**
 * A Connected Apps access token to mint for an existing member, as if the member had consented
 * to `scopes` for the Connected App `clientId` (default: the emulator's own app id). `issuer`
 * defaults to the emulator's base URL when it is known, else `stytch.com/<projectId>`.
 *
 * @example
 * await emulator.mintAccessToken({ memberId, scopes: ['openid', 'read:documents'] })
 */
export interface MintAccessTokenOptions extends MintTokenOptions {
  memberId: string
  scopes: string[]
  clientId?: string
}

interface M2MClientRecord {
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: readonly string[]
  readonly customClaims: Record<string, unknown>
}

const defaultProjectId = 'project-test-00000000-0000-4000-8000-000000000000'
const defaultSecret = 'secret-test-emulator-00000000000000000000'
const maxSessionMinutes = 527_040
/** Stytch's lifetime for M2M access tokens, and the default of Connected Apps ones. */
const accessTokenSeconds = 3600

/**
 * A local Stytch B2B API for development and tests: a Hono app that serves, with Stytch's wire
 * format, `/v1/b2b/sessions/authenticate` (with `authorization_check`), `/revoke` and
 * `/jwks/:project_id`, the RBAC policy endpoints, the M2M token endpoint, Connected Apps token
 * introspection and authorization-server metadata, so the real `stytch` SDK can talk to it. It can
 * inject faults, and has an admin API under `/_emulator/` for tests in another process. Every
 * response carries `x-stytch-emulator: ayz-auth`.
 *
 * @example
 * const emulator = new StytchEmulator()
 * const { sessionToken } = await emulator.seed()
 * const res = await emulator.request('/v1/b2b/sessions/authenticate', {
 *   method: 'POST',
 *   headers: { authorization: `Basic ${btoa(`${emulator.projectId}:${emulator.secret}`)}` },
 *   body: JSON.stringify({ session_token: sessionToken }),
 * })
 */
export class StytchEmulator extends Hono<EmulatorEnv> {
  readonly projectId: string
  readonly secret: string
  readonly #now: () => number
  readonly #store: EmulatorStore
  readonly #keys = new KeyRing()
  readonly #faults = new FaultRules()
  readonly #calls: EmulatorCalls = zeroCalls()
  readonly #m2mClients = new Map<string, M2MClientRecord>()
  readonly #connectedAppId = testId('connected-app')
  #policy: Policy = defaultPolicy()
  #baseUrl: string | undefined

  constructor(options: StytchEmulatorOptions = {}) {
    refuseProduction(options.allowProduction ?? false)
    super()
    this.projectId = options.projectId ?? defaultProjectId
    this.secret = options.secret ?? defaultSecret
    this.#now = options.now ?? Date.now
    this.#store = new EmulatorStore(this.#now)
    if (options.baseUrl !== undefined) this.setBaseUrl(options.baseUrl)
    const credentials = requireProjectCredentials(this.projectId, this.secret)

    this.use(async (c, next) => {
      await next()
      c.res.headers.set('x-stytch-emulator', 'ayz-auth')
    })
    this.route('/_emulator', adminRoutes(this, credentials))
    const gate = this.#gate(options.latencyMs ?? 0)
    this.use('/v1/*', gate)
    this.use('/.well-known/*', gate)
    this.post('/v1/b2b/sessions/authenticate', credentials, (c) => this.#authenticate(c))
    this.post('/v1/b2b/sessions/revoke', credentials, (c) => this.#revoke(c))
    this.get('/v1/b2b/sessions/jwks/:projectId', (c) => this.#jwks(c.req.param('projectId')))
    this.get('/v1/b2b/rbac/policy', credentials, (c) =>
      c.json({
        request_id: newRequestId(),
        status_code: 200,
        policy: this.policy,
      } satisfies B2BRBACPolicyResponse)
    )
    this.get('/v1/b2b/rbac/organizations/:organizationId', credentials, (c) =>
      this.#orgPolicy(c.req.param('organizationId'))
    )
    this.post('/v1/public/:projectId/oauth2/token', (c) => this.#token(c))
    this.post('/v1/public/:projectId/oauth2/introspect', (c) => this.#introspect(c))
    for (const document of ['oauth-authorization-server', 'openid-configuration']) {
      this.get(`/.well-known/${document}`, (c) =>
        c.json(
          authorizationServerMetadata(
            new URL(c.req.url).origin,
            this.projectId,
            this.#policy.scopes.map(({ scope }) => scope)
          )
        )
      )
    }
    this.notFound(() => stytchError(404, 'route_not_found'))
    this.onError((error) => {
      if (error instanceof ConnectionReset) throw error
      if (error instanceof HTTPException) {
        return stytchError(error.status, 'bad_request', { message: error.message })
      }
      return stytchError(500, 'internal_server_error')
    })
  }

  /**
   * Creates an organization (name default `'Acme'`, no custom roles). Slugs are unique, as in
   * Stytch: a slug derived from the name gets a numeric suffix when taken (`acme`, `acme-2`, …),
   * and a given slug that is taken throws.
   */
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

  /**
   * Replaces an organization's custom roles: its org policy and its `custom_roles`, at once for
   * every later request. Throws for an unknown organization.
   */
  setOrganizationRoles(organizationId: string, roles: CustomRole[]): void {
    const organization = this.#store.organizations.get(organizationId)
    if (!organization) throw new Error(`No organization ${organizationId}`)
    organization.custom_roles = structuredClone(roles)
    organization.updated_at = rfc3339(this.#now())
  }

  /** A copy of the project's RBAC policy, as `GET /v1/b2b/rbac/policy` serves it. */
  get policy(): Policy {
    return structuredClone(this.#policy)
  }

  /**
   * Replaces the project's RBAC policy (roles, resources, Connected Apps scopes), at once for every
   * later request. The emulator starts with {@link defaultPolicy}.
   */
  setPolicy(policy: Policy): void {
    this.#policy = structuredClone(policy)
  }

  /** The URL the emulator is reachable at, if known: the `iss` of Connected Apps tokens. */
  get baseUrl(): string | undefined {
    return this.#baseUrl
  }

  /** Tells the emulator the URL it is reachable at (a trailing slash is dropped). */
  setBaseUrl(url: string): void {
    this.#baseUrl = url.replace(/\/+$/, '')
  }

  /** Registers an M2M client that may ask `POST /v1/public/:project_id/oauth2/token` for `scopes`. */
  createM2MClient(options: CreateM2MClientOptions): M2MClientCredentials {
    const client: M2MClientRecord = {
      clientId: options.clientId ?? testId('m2m-client'),
      clientSecret: options.clientSecret ?? newSessionToken(),
      scopes: [...options.scopes],
      customClaims: mergeClaims({}, options.customClaims ?? {}),
    }
    this.#m2mClients.set(client.clientId, client)
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      scopes: [...client.scopes],
    }
  }

  /** Signs an M2M access token directly, with the current key (see {@link MintM2MTokenOptions}). */
  async mintM2MToken(options: MintM2MTokenOptions): Promise<string> {
    const client = this.#m2mClients.get(options.clientId)
    return signM2MToken(
      await this.#keys.current(),
      this.projectId,
      {
        clientId: options.clientId,
        scopes: options.scopes ?? client?.scopes ?? [],
        customClaims: mergeClaims({}, options.customClaims ?? client?.customClaims ?? {}),
      },
      this.#times(options)
    )
  }

  /**
   * Signs a Connected Apps access token for an existing member (see {@link MintAccessTokenOptions});
   * throws for an unknown member.
   */
  async mintAccessToken(options: MintAccessTokenOptions): Promise<string> {
    const member = this.#store.members.get(options.memberId)
    const organization = member && this.#store.organizations.get(member.organization_id)
    if (!member || !organization) throw new Error(`No member ${options.memberId}`)
    return signAccessToken(
      await this.#keys.current(),
      this.projectId,
      {
        memberId: member.member_id,
        organization: {
          organization_id: organization.organization_id,
          slug: organization.organization_slug,
        },
        clientId: options.clientId ?? this.#connectedAppId,
        scopes: options.scopes,
        customClaims: mergeClaims({}, options.customClaims ?? {}),
      },
      this.#times({ ...options, issuer: options.issuer ?? this.#baseUrl })
    )
  }

  /** Creates an active member of an existing organization; `stytch_member` is always a role. */
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

  /** Starts a session for an existing member, as a completed login would. */
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
    return this.#present(session)
  }

  /** Creates an organization (`Acme`), a member (`ada@acme.example`) and a session for them. */
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

  /**
   * Signs a JWT for a stored session with the current key, e.g. one already past its `exp`:
   * `mintSessionJwt(id, { issuedAt: new Date(Date.now() - 3_600_000) })`.
   */
  async mintSessionJwt(
    sessionId: string,
    { issuedAt, lifetimeSeconds = 300 }: { issuedAt?: Date; lifetimeSeconds?: number } = {}
  ): Promise<string> {
    const session = this.#store.session({ id: sessionId })
    if (!session) throw new Error(`No session ${sessionId}`)
    return this.#sign(session, issuedAt?.getTime() ?? this.#now(), lifetimeSeconds)
  }

  /** Revokes a session by id or token, as an admin would; `false` if there was none. */
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

  /** A new key signs from now on; the previous one stays in the JWKS, as in a Stytch rotation. */
  rotateKeys(): Promise<void> {
    return this.#keys.rotate()
  }

  /** Removes the previous key from the JWKS: JWTs it signed are rejected from then on. */
  dropPreviousKey(): void {
    this.#keys.dropPrevious()
  }

  /** The current signing key, private half included, to forge tokens in attack tests. */
  signingKeys(): Promise<SigningKey> {
    return this.#keys.current()
  }

  /** Adds a fault rule after the existing ones (see {@link Fault}). */
  injectFault(fault: Fault, options?: FaultOptions): FaultRule {
    return this.#faults.add(fault, options)
  }

  /** Removes every fault rule and releases hung requests. */
  clearFaults(): void {
    this.#faults.clear()
  }

  /** Lets every request held by a `hang` fault go on to its normal answer. */
  releaseHungRequests(): void {
    this.#faults.releaseHung()
  }

  /** A snapshot of the request counts. */
  get calls(): EmulatorCalls {
    return { ...this.#calls }
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    Object.assign(this.#calls, zeroCalls())
  }

  #gate(latencyMs: number): MiddlewareHandler<EmulatorEnv> {
    return async (c, next) => {
      const endpoint = endpointOf(c.req.path)
      this.#calls.total++
      if (endpoint) this.#calls[endpoint]++
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
      return (await this.#faults.apply(endpoint, c)) ?? next()
    }
  }

  async #authenticate(c: Context<EmulatorEnv>): Promise<Response> {
    const body = await jsonObject(c.req.raw)
    if (!body) return stytchError(400, 'bad_request', { message: 'Expected a JSON object.' })
    const token = nonEmpty(body.session_token)
    const jwt = nonEmpty(body.session_jwt)
    const durationMinutes = body.session_duration_minutes ?? undefined
    const customClaims = body.session_custom_claims ?? undefined
    if (token && jwt) return stytchError(400, 'too_many_session_arguments')
    const locator = token ? { token } : jwt ? { jwt } : undefined
    if (!locator) return stytchError(400, 'no_session_arguments')
    if (durationMinutes !== undefined && !isSessionDuration(durationMinutes)) {
      return stytchError(400, 'invalid_session_duration_minutes')
    }
    if (customClaims !== undefined && !isRecord(customClaims)) {
      return stytchError(400, 'bad_request', { message: 'Expected session_custom_claims object.' })
    }
    const check = body.authorization_check ?? undefined
    if (check !== undefined && !isAuthorizationCheck(check)) {
      return stytchError(400, 'bad_request', {
        message: 'Expected authorization_check {organization_id, resource_id, action}.',
      })
    }
    const session = await this.#liveSession(locator)
    if (session instanceof Response) return session
    // Inferred: a refused check leaves the session untouched (Stytch does not say).
    const outcome = check && this.#authorize(session, check)
    if (outcome && 'refused' in outcome) return stytchError(403, outcome.refused)
    this.#store.authenticate(session, { durationMinutes, customClaims })
    const current = await this.#present(session)
    return c.json({
      status_code: 200,
      request_id: newRequestId(),
      member_session: current.session,
      session_token: current.sessionToken,
      session_jwt: current.sessionJwt,
      member: current.member,
      organization: current.organization,
      ...(outcome && { verdict: outcome.verdict }),
    } satisfies B2BSessionsAuthenticateResponse)
  }

  /** The verdict on a check for a session, with the project's roles and its organization's. */
  #authorize(session: SessionRecord, check: AuthorizationCheck) {
    return authorize({
      check,
      sessionOrganizationId: session.organization.organization_id,
      sessionRoles: session.member.roles.map((role) => role.role_id),
      policyRoles: [...this.#policy.roles, ...session.organization.custom_roles],
    })
  }

  #orgPolicy(organizationId: string): Response {
    const organization = this.#store.organizations.get(organizationId)
    if (!organization) return stytchError(404, 'organization_not_found')
    return Response.json({
      request_id: newRequestId(),
      status_code: 200,
      org_policy: { roles: structuredClone(organization.custom_roles) },
    } satisfies B2BRBACOrganizationsGetOrgPolicyResponse)
  }

  /**
   * The client credentials grant (RFC 6749 §4.4), as `client.m2m.token()` uses it: the client's
   * id and secret in the body (or `client_secret_basic`), `scope` a space-separated subset of the
   * client's scopes (default all of them). Errors are OAuth 2.0 bodies (see {@link oauthError}).
   */
  async #token(c: Context<EmulatorEnv>): Promise<Response> {
    if (c.req.param('projectId') !== this.projectId) return stytchError(404, 'project_not_found')
    const form = await oauthParameters(c.req.raw)
    if (!form) return oauthError('invalid_request', 'Expected a form-encoded or JSON body.')
    if (!form.grant_type) return oauthError('invalid_request', 'grant_type is required.')
    if (form.grant_type !== 'client_credentials') return oauthError('unsupported_grant_type')
    const basic = basicClientCredentials(c.req.header('authorization'))
    const clientId = form.client_id ?? basic?.clientId
    const clientSecret = form.client_secret ?? basic?.clientSecret
    if (!clientId || !clientSecret) {
      return oauthError('invalid_request', 'client_id and client_secret are required.')
    }
    const client = this.#m2mClients.get(clientId)
    if (client?.clientSecret !== clientSecret) return oauthError('invalid_client')
    const requested = [...new Set((form.scope ?? '').split(/\s+/).filter(Boolean))]
    const disallowed = requested.filter((scope) => !client.scopes.includes(scope))
    if (disallowed.length > 0) {
      return oauthError('invalid_scope', `Not allowed for this client: ${disallowed.join(' ')}`)
    }
    const accessToken = await signM2MToken(
      await this.#keys.current(),
      this.projectId,
      {
        clientId,
        scopes: requested.length > 0 ? requested : client.scopes,
        customClaims: client.customClaims,
      },
      this.#times({})
    )
    const response = {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: accessTokenSeconds,
    } satisfies TokenResponse
    return c.json({ status_code: 200, request_id: newRequestId(), ...response }, 200, {
      'cache-control': 'no-store',
    })
  }

  /**
   * Token introspection (RFC 7662) of Connected Apps access tokens, as
   * `client.idp.introspectTokenNetwork()` asks for it: `{active: true, …claims, token_type}` or
   * `{active: false}`. Inferred: the calling client is not authenticated (its `client_id` is
   * required, its secret is not checked).
   */
  async #introspect(c: Context<EmulatorEnv>): Promise<Response> {
    if (c.req.param('projectId') !== this.projectId) return stytchError(404, 'project_not_found')
    const form = await oauthParameters(c.req.raw)
    if (!form?.token || !form.client_id) {
      return oauthError('invalid_request', 'token and client_id are required.')
    }
    const claims = await readAccessToken(form.token, this.#keys, this.projectId, this.#now())
    const status = { status_code: 200, request_id: newRequestId() }
    return c.json(
      claims
        ? { ...status, ...claims, active: true, token_type: 'access_token' }
        : { ...status, active: false }
    )
  }

  /** `iat`/`nbf`, lifetime, issuer and audience of a token minted now or as asked. */
  #times(options: MintTokenOptions) {
    return {
      issuedAt: Math.floor((options.issuedAt?.getTime() ?? this.#now()) / 1000),
      lifetimeSeconds: options.expiresInSeconds ?? accessTokenSeconds,
      issuer: options.issuer,
      audience: options.audience,
    }
  }

  async #revoke(c: Context<EmulatorEnv>): Promise<Response> {
    const body = await jsonObject(c.req.raw)
    if (!body) return stytchError(400, 'bad_request', { message: 'Expected a JSON object.' })
    const id = nonEmpty(body.member_session_id)
    const token = nonEmpty(body.session_token)
    const jwt = nonEmpty(body.session_jwt)
    const memberId = nonEmpty(body.member_id)
    if ([id, token, jwt, memberId].filter((value) => value !== undefined).length > 1) {
      return stytchError(400, 'too_many_session_revoke_arguments')
    }
    if (memberId !== undefined) {
      if (!this.#store.members.has(memberId)) return stytchError(404, 'member_not_found')
      this.#store.revokeMember(memberId)
    } else {
      const locator = id ? { id } : token ? { token } : jwt ? { jwt } : undefined
      if (!locator) return stytchError(400, 'no_session_revoke_arguments')
      const session = await this.#liveSession(locator)
      if (session instanceof Response) return session
      this.#store.revoke(session)
    }
    return c.json({ status_code: 200, request_id: newRequestId() })
  }

  async #jwks(projectId: string): Promise<Response> {
    if (projectId !== this.projectId) return stytchError(404, 'project_not_found')
    return Response.json({
      keys: await this.#keys.jwks(),
      request_id: newRequestId(),
      status_code: 200,
    })
  }

  /** The live session named by an id, a token or a JWT, or the error Stytch answers instead. */
  async #liveSession(locator: SessionLocator | { jwt: string }): Promise<SessionRecord | Response> {
    if ('jwt' in locator) {
      const read = await readSessionJwt(locator.jwt, this.#keys)
      if ('refused' in read) return stytchError(read.refused, 'unable_to_parse_session_jwt')
      locator = { id: read.sessionId }
    }
    return this.#store.liveSession(locator) ?? stytchError(404, 'session_not_found')
  }

  #find(sessionIdOrToken: string): SessionRecord | undefined {
    return (
      this.#store.session({ id: sessionIdOrToken }) ??
      this.#store.session({ token: sessionIdOrToken })
    )
  }

  async #present(session: SessionRecord): Promise<EmulatedSession> {
    return {
      sessionToken: session.token,
      sessionJwt: await this.#sign(session, this.#now(), 300),
      session: memberSessionWire(session),
      member: structuredClone(session.member),
      organization: structuredClone(session.organization),
    }
  }

  async #sign(
    session: SessionRecord,
    issuedAtMs: number,
    lifetimeSeconds: number
  ): Promise<string> {
    return signSessionJwt(await this.#keys.current(), this.projectId, memberSessionWire(session), {
      issuedAt: Math.floor(issuedAtMs / 1000),
      lifetimeSeconds,
    })
  }
}

/**
 * Creates a {@link StytchEmulator}. Throws when `NODE_ENV` is `production`, unless
 * `allowProduction` is set: it is a fake Stytch that hands out sessions to anyone.
 *
 * @example
 * import { stytchEmulator } from 'ayz-auth/testing'
 *
 * const emulator = stytchEmulator()
 * const { sessionToken, sessionJwt } = await emulator.seed()
 * export default emulator // a Hono app: serve it anywhere
 */
export function stytchEmulator(options: StytchEmulatorOptions = {}): StytchEmulator {
  return new StytchEmulator(options)
}

function refuseProduction(allowProduction: boolean): void {
  const runtime = globalThis as { process?: { env?: Record<string, string | undefined> } }
  if (runtime.process?.env?.NODE_ENV === 'production' && !allowProduction) {
    throw new Error(
      'The Stytch emulator refuses to run with NODE_ENV=production: it is a fake Stytch that ' +
        'hands out sessions to anyone. Pass { allowProduction: true } if you really mean it.'
    )
  }
}

function endpointOf(path: string): Endpoint | undefined {
  if (path === '/v1/b2b/sessions/authenticate') return 'authenticate'
  if (path === '/v1/b2b/sessions/revoke') return 'revoke'
  if (path.startsWith('/v1/b2b/sessions/jwks/')) return 'jwks'
  if (path === '/v1/b2b/rbac/policy') return 'policy'
  if (path.startsWith('/v1/b2b/rbac/organizations/')) return 'orgPolicy'
  const oauth2 = /^\/v1\/public\/[^/]+\/oauth2\/(token|introspect)$/.exec(path)?.[1]
  if (oauth2 === 'token' || oauth2 === 'introspect') return oauth2
  const metadata = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']
  return metadata.includes(path) ? 'metadata' : undefined
}

function zeroCalls(): EmulatorCalls {
  return {
    authenticate: 0,
    revoke: 0,
    jwks: 0,
    policy: 0,
    orgPolicy: 0,
    token: 0,
    introspect: 0,
    metadata: 0,
    total: 0,
  }
}

function isAuthorizationCheck(value: unknown): value is AuthorizationCheck {
  return (
    isRecord(value) &&
    typeof value.organization_id === 'string' &&
    typeof value.resource_id === 'string' &&
    typeof value.action === 'string'
  )
}

async function jsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  const body: unknown = await request.json().catch(() => undefined)
  return isRecord(body) ? body : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function isSessionDuration(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 5 && value <= maxSessionMinutes
  )
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}
