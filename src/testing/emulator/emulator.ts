import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type {
  AuthenticationFactor,
  B2BSessionsAuthenticateResponse,
  Member,
  MemberSession,
  Organization,
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
import { readSessionJwt, signSessionJwt } from './jwt.ts'
import { KeyRing, type SigningKey } from './keys.ts'
import { EmulatorStore, mergeClaims, type SessionLocator, type SessionRecord } from './store.ts'
import {
  factorWire,
  memberSessionWire,
  memberWire,
  organizationWire,
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
  organization?: { name?: string; slug?: string }
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
 * How many requests reached each API endpoint, faulted or not; `total` counts every `/v1` request.
 *
 * @example
 * expect(emulator.calls).toEqual({ authenticate: 1, revoke: 0, jwks: 1, total: 2 })
 */
export interface EmulatorCalls {
  authenticate: number
  revoke: number
  jwks: number
  total: number
}

const defaultProjectId = 'project-test-00000000-0000-4000-8000-000000000000'
const defaultSecret = 'secret-test-emulator-00000000000000000000'
const maxSessionMinutes = 527_040

/**
 * A local Stytch B2B API for development and tests: a Hono app that serves
 * `/v1/b2b/sessions/authenticate`, `/revoke` and `/jwks/:project_id` with Stytch's wire format,
 * so the real `stytch` SDK can talk to it. It can inject faults, and has an admin API under
 * `/_emulator/` for tests in another process. Every response carries `x-stytch-emulator: ayz-auth`.
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
  readonly #calls: EmulatorCalls = { authenticate: 0, revoke: 0, jwks: 0, total: 0 }

  constructor(options: StytchEmulatorOptions = {}) {
    refuseProduction(options.allowProduction ?? false)
    super()
    this.projectId = options.projectId ?? defaultProjectId
    this.secret = options.secret ?? defaultSecret
    this.#now = options.now ?? Date.now
    this.#store = new EmulatorStore(this.#now)
    const credentials = requireProjectCredentials(this.projectId, this.secret)

    this.use(async (c, next) => {
      await next()
      c.res.headers.set('x-stytch-emulator', 'ayz-auth')
    })
    this.route('/_emulator', adminRoutes(this, credentials))
    this.use('/v1/*', this.#gate(options.latencyMs ?? 0))
    this.post('/v1/b2b/sessions/authenticate', credentials, (c) => this.#authenticate(c))
    this.post('/v1/b2b/sessions/revoke', credentials, (c) => this.#revoke(c))
    this.get('/v1/b2b/sessions/jwks/:projectId', (c) => this.#jwks(c.req.param('projectId')))
    this.notFound(() => stytchError(404, 'route_not_found'))
    this.onError((error) => {
      if (error instanceof ConnectionReset) throw error
      if (error instanceof HTTPException) {
        return stytchError(error.status, 'bad_request', { message: error.message })
      }
      return stytchError(500, 'internal_server_error')
    })
  }

  /** Creates an organization (name default `'Acme'`, slug derived from the name). */
  createOrganization({ name = 'Acme', slug }: { name?: string; slug?: string } = {}): Organization {
    const organization = organizationWire({ name, slug: slug ?? slugify(name), at: this.#now() })
    this.#store.organizations.set(organization.organization_id, organization)
    return structuredClone(organization)
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
      name: org.name ?? 'Acme',
      slug: org.slug ?? 'acme',
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
    Object.assign(this.#calls, { authenticate: 0, revoke: 0, jwks: 0, total: 0 })
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
    const session = await this.#liveSession(locator)
    if (session instanceof Response) return session
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
    } satisfies B2BSessionsAuthenticateResponse)
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
  return path.startsWith('/v1/b2b/sessions/jwks/') ? 'jwks' : undefined
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
