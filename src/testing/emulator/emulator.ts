/**
 * @module
 * The Stytch B2B emulator tests call: organizations, members, sessions, M2M clients and tokens.
 */
import type { Member, Organization } from 'stytch'
import type {
  CreateOrganizationOptions,
  CreateSessionOptions,
  EmulatedSession,
  SeedOptions,
} from './accounts.ts'
import { EmulatorControls, partsOf } from './controls.ts'
import type { CreateM2MClientOptions, M2MClientCredentials } from './m2m.ts'
import type { EmulatorParts, StytchEmulatorOptions } from './parts.ts'
import { serveStytchApi } from './routes.ts'
import type { MintAccessTokenOptions, MintM2MTokenOptions } from './tokens.ts'

export type {
  CreateOrganizationOptions,
  CreateSessionOptions,
  EmulatedSession,
  SeedOptions,
} from './accounts.ts'
export type { CreateM2MClientOptions, M2MClientCredentials } from './m2m.ts'
export type { StytchEmulatorOptions } from './parts.ts'
export type { MintAccessTokenOptions, MintM2MTokenOptions, MintTokenOptions } from './tokens.ts'
export type { EmulatorCalls } from './traffic.ts'

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
export class StytchEmulator extends EmulatorControls {
  readonly projectId: string
  readonly secret: string
  readonly #parts: EmulatorParts

  constructor(options: StytchEmulatorOptions = {}) {
    super(options)
    this.#parts = partsOf(this)
    this.projectId = this.#parts.projectId
    this.secret = this.#parts.secret
    serveStytchApi(this, this.#parts)
  }

  /**
   * Creates an organization (name default `'Acme'`, no custom roles). Slugs are unique, as in
   * Stytch: a slug derived from the name gets a numeric suffix when taken (`acme`, `acme-2`, …),
   * and a given slug that is taken throws.
   */
  createOrganization(options?: CreateOrganizationOptions): Organization {
    return this.#parts.accounts.createOrganization(options)
  }

  /** Creates an active member of an existing organization; `stytch_member` is always a role. */
  createMember(fields: {
    organizationId: string
    email?: string
    name?: string
    roles?: string[]
  }): Member {
    return this.#parts.accounts.createMember(fields)
  }

  /** Starts a session for an existing member, as a completed login would. */
  createSession(options: CreateSessionOptions): Promise<EmulatedSession> {
    return this.#parts.accounts.createSession(options)
  }

  /** Creates an organization (`Acme`), a member (`ada@acme.example`) and a session for them. */
  seed(options?: SeedOptions): Promise<EmulatedSession> {
    return this.#parts.accounts.seed(options)
  }

  /**
   * Signs a JWT for a stored session with the current key, e.g. one already past its `exp`:
   * `mintSessionJwt(id, { issuedAt: new Date(Date.now() - 3_600_000) })`.
   */
  mintSessionJwt(
    sessionId: string,
    options?: { issuedAt?: Date; lifetimeSeconds?: number }
  ): Promise<string> {
    return this.#parts.tokens.mintSessionJwt(sessionId, options)
  }

  /** Revokes a session by id or token, as an admin would; `false` if there was none. */
  revokeSession(sessionIdOrToken: string): boolean {
    return this.#parts.accounts.revokeSession(sessionIdOrToken)
  }

  /** Makes a session (by id or token) expire now; `false` if there was none. */
  expireSession(sessionIdOrToken: string): boolean {
    return this.#parts.accounts.expireSession(sessionIdOrToken)
  }

  /** Registers an M2M client that may ask `POST /v1/public/:project_id/oauth2/token` for `scopes`. */
  createM2MClient(options: CreateM2MClientOptions): M2MClientCredentials {
    return this.#parts.m2m.create(options)
  }

  /** Signs an M2M access token directly, with the current key (see {@link MintM2MTokenOptions}). */
  mintM2MToken(options: MintM2MTokenOptions): Promise<string> {
    return this.#parts.m2m.mint(options)
  }

  /**
   * Signs a Connected Apps access token for an existing member (see {@link MintAccessTokenOptions});
   * throws for an unknown member.
   */
  mintAccessToken(options: MintAccessTokenOptions): Promise<string> {
    return this.#parts.tokens.mintAccessToken(options)
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
