/**
 * @module
 * Token minting with the current signing key, Connected Apps token introspection and the JWKS.
 */
import type { Context } from 'hono'
import { stytchError } from './errors.ts'
import type { EmulatorEnv } from './faults.ts'
import { newRequestId, testId } from './ids.ts'
import {
  readAccessToken,
  signAccessToken,
  signM2MToken,
  signSessionJwt,
  type TokenTimes,
} from './jwt.ts'
import type { KeyRing } from './keys.ts'
import { oauthError, oauthParameters } from './oauth.ts'
import { mergeClaims, type EmulatorStore, type SessionRecord } from './store.ts'
import { memberSessionWire } from './wire.ts'

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

/**
 * Stytch's lifetime for M2M access tokens, and the default of Connected Apps ones.
 *
 * @example
 * const expiresIn = accessTokenSeconds // 3600
 */
export const accessTokenSeconds = 3600

/**
 * The project's tokens, signed with the current key of its {@link KeyRing}: session JWTs of stored
 * sessions, M2M access tokens, and Connected Apps access tokens, whose `iss` is the emulator's
 * base URL when it is known. It also answers the JWKS and token introspection endpoints.
 *
 * @example
 * const tokens = new TokenMint({ projectId, now: Date.now, keys: new KeyRing(), store })
 * const sessionJwt = await tokens.mintSessionJwt(sessionId, { lifetimeSeconds: 60 })
 */
export class TokenMint {
  readonly #projectId: string
  readonly #now: () => number
  readonly #keys: KeyRing
  readonly #store: EmulatorStore
  readonly #connectedAppId: string = testId('connected-app')
  #baseUrl: string | undefined

  constructor(parts: {
    projectId: string
    now: () => number
    keys: KeyRing
    store: EmulatorStore
  }) {
    this.#projectId = parts.projectId
    this.#now = parts.now
    this.#keys = parts.keys
    this.#store = parts.store
  }

  /** The URL the emulator is reachable at, if known: the `iss` of Connected Apps tokens. */
  get baseUrl(): string | undefined {
    return this.#baseUrl
  }

  /** Sets the URL the emulator is reachable at (a trailing slash is dropped). */
  setBaseUrl(url: string): void {
    this.#baseUrl = url.replace(/\/+$/, '')
  }

  /** Signs a JWT for a session, issued at `issuedAtMs` and valid for `lifetimeSeconds`. */
  async sessionJwt(
    session: SessionRecord,
    issuedAtMs: number,
    lifetimeSeconds: number
  ): Promise<string> {
    return signSessionJwt(await this.#keys.current(), this.#projectId, memberSessionWire(session), {
      issuedAt: Math.floor(issuedAtMs / 1000),
      lifetimeSeconds,
    })
  }

  /** Signs a JWT for the stored session with this id (default lifetime 300 s); throws for none. */
  async mintSessionJwt(
    sessionId: string,
    { issuedAt, lifetimeSeconds = 300 }: { issuedAt?: Date; lifetimeSeconds?: number } = {}
  ): Promise<string> {
    const session = this.#store.session({ id: sessionId })
    if (!session) throw new Error(`No session ${sessionId}`)
    return this.sessionJwt(session, issuedAt?.getTime() ?? this.#now(), lifetimeSeconds)
  }

  /** Signs an M2M access token for a client id, its scopes and claims, at the times asked. */
  async m2mToken(
    token: { clientId: string; scopes: readonly string[]; customClaims: Record<string, unknown> },
    options: MintTokenOptions
  ): Promise<string> {
    return signM2MToken(await this.#keys.current(), this.#projectId, token, this.#times(options))
  }

  /** Signs a Connected Apps access token for an existing member; throws for an unknown member. */
  async mintAccessToken(options: MintAccessTokenOptions): Promise<string> {
    const member = this.#store.members.get(options.memberId)
    const organization = member && this.#store.organizations.get(member.organization_id)
    if (!member || !organization) throw new Error(`No member ${options.memberId}`)
    return signAccessToken(
      await this.#keys.current(),
      this.#projectId,
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

  /** `GET /v1/b2b/sessions/jwks/:project_id`: the public keys that verify the project's JWTs. */
  async jwks(projectId: string): Promise<Response> {
    if (projectId !== this.#projectId) return stytchError(404, 'project_not_found')
    return Response.json({
      keys: await this.#keys.jwks(),
      request_id: newRequestId(),
      status_code: 200,
    })
  }

  /**
   * Token introspection (RFC 7662) of Connected Apps access tokens, as
   * `client.idp.introspectTokenNetwork()` asks for it: `{active: true, …claims, token_type}` or
   * `{active: false}`. Inferred: the calling client is not authenticated (its `client_id` is
   * required, its secret is not checked).
   */
  async introspect(c: Context<EmulatorEnv>): Promise<Response> {
    if (c.req.param('projectId') !== this.#projectId) return stytchError(404, 'project_not_found')
    const form = await oauthParameters(c.req.raw)
    if (!form?.token || !form.client_id) {
      return oauthError('invalid_request', 'token and client_id are required.')
    }
    const claims = await readAccessToken(form.token, this.#keys, this.#projectId, this.#now())
    const status = { status_code: 200, request_id: newRequestId() }
    return c.json(
      claims
        ? { ...status, ...claims, active: true, token_type: 'access_token' }
        : { ...status, active: false }
    )
  }

  /** `iat`/`nbf`, lifetime, issuer and audience of a token minted now or as asked. */
  #times(options: MintTokenOptions): TokenTimes {
    return {
      issuedAt: Math.floor((options.issuedAt?.getTime() ?? this.#now()) / 1000),
      lifetimeSeconds: options.expiresInSeconds ?? accessTokenSeconds,
      issuer: options.issuer,
      audience: options.audience,
    }
  }
}
