/**
 * @module
 * M2M clients: registering them, minting their tokens, and the client credentials token endpoint.
 */
import type { Context } from 'hono'
import type { TokenResponse } from 'stytch'
import { stytchError } from './errors.ts'
import type { EmulatorEnv } from './faults.ts'
import { newRequestId, newSessionToken, testId } from './ids.ts'
import { basicClientCredentials, oauthError, oauthParameters } from './oauth.ts'
import { mergeClaims } from './store.ts'
import { accessTokenSeconds, type MintM2MTokenOptions, type TokenMint } from './tokens.ts'

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

interface M2MClientRecord {
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: readonly string[]
  readonly customClaims: Record<string, unknown>
}

/**
 * The project's M2M clients, and the token endpoint (`POST /v1/public/:project_id/oauth2/token`)
 * that issues them access tokens.
 *
 * @example
 * const clients = new M2MClients(projectId, tokens)
 * const { clientId } = clients.create({ scopes: ['read:reports'] })
 * const accessToken = await clients.mint({ clientId, expiresInSeconds: -60 })
 */
export class M2MClients {
  readonly #clients = new Map<string, M2MClientRecord>()
  readonly #projectId: string
  readonly #tokens: TokenMint

  constructor(projectId: string, tokens: TokenMint) {
    this.#projectId = projectId
    this.#tokens = tokens
  }

  /** Registers a client that may ask the token endpoint for `scopes`. */
  create(options: CreateM2MClientOptions): M2MClientCredentials {
    const client: M2MClientRecord = {
      clientId: options.clientId ?? testId('m2m-client'),
      clientSecret: options.clientSecret ?? newSessionToken(),
      scopes: [...options.scopes],
      customClaims: mergeClaims({}, options.customClaims ?? {}),
    }
    this.#clients.set(client.clientId, client)
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      scopes: [...client.scopes],
    }
  }

  /** Signs an M2M access token directly; scopes and claims default to the registered client's. */
  async mint(options: MintM2MTokenOptions): Promise<string> {
    const client = this.#clients.get(options.clientId)
    return this.#tokens.m2mToken(
      {
        clientId: options.clientId,
        scopes: options.scopes ?? client?.scopes ?? [],
        customClaims: mergeClaims({}, options.customClaims ?? client?.customClaims ?? {}),
      },
      options
    )
  }

  /**
   * The client credentials grant (RFC 6749 §4.4), as `client.m2m.token()` uses it: the client's
   * id and secret in the body (or `client_secret_basic`), `scope` a space-separated subset of the
   * client's scopes (default all of them). Errors are OAuth 2.0 bodies (see {@link oauthError}).
   */
  async token(c: Context<EmulatorEnv>): Promise<Response> {
    if (c.req.param('projectId') !== this.#projectId) return stytchError(404, 'project_not_found')
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
    const client = this.#clients.get(clientId)
    if (client?.clientSecret !== clientSecret) return oauthError('invalid_client')
    const requested = [...new Set((form.scope ?? '').split(/\s+/).filter(Boolean))]
    const disallowed = requested.filter((scope) => !client.scopes.includes(scope))
    if (disallowed.length > 0) {
      return oauthError('invalid_scope', `Not allowed for this client: ${disallowed.join(' ')}`)
    }
    const accessToken = await this.#tokens.m2mToken(
      {
        clientId,
        scopes: requested.length > 0 ? requested : client.scopes,
        customClaims: client.customClaims,
      },
      {}
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
}
