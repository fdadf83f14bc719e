/**
 * @module
 * Clients and the token endpoint: M2M applications, their client grants, and their tokens.
 */
import type { Context } from 'hono'
import { basicClientCredentials, oauthParameters } from '../emulator/oauth.ts'
import { auth0Error } from './auth0-error.ts'
import { randomAlphanumeric } from './ids.ts'
import {
  TOKEN_LIFETIME_SECONDS,
  type Auth0TokenMint,
  type MintAuth0MachineTokenOptions,
} from './mint.ts'

/**
 * An M2M application to register, with its client grant for one API: the `scopes` its tokens get,
 * and `permissions` to add to them (as the `*_authz` token dialects do). `clientId` defaults to 32
 * random alphanumeric characters and `clientSecret` to 64, as Auth0's; registering an existing
 * `clientId` adds (or replaces) its grant for `audience` and keeps the rest of the client.
 * `organizations` are the ones the client may ask a token for (`organization` = an id or a name);
 * `grantTypes` default to `['client_credentials']`.
 *
 * @example
 * emulator.registerClient({ audience: 'https://api.example.test', scopes: ['read:reports'] })
 */
export interface RegisterAuth0ClientOptions {
  audience: string
  scopes: string[]
  permissions?: string[]
  clientId?: string
  clientSecret?: string
  organizations?: Auth0Organization[]
  grantTypes?: string[]
}

/**
 * An Auth0 organization as tokens name it: `org_id` and `org_name`.
 *
 * @example
 * const acme: Auth0Organization = { id: 'org_9ybsU1dN2dKfDkBi', name: 'acme' }
 */
export interface Auth0Organization {
  id: string
  name: string
}

/**
 * A registered client's credentials, as `POST /oauth/token` takes them.
 *
 * @example
 * const { clientId, clientSecret } = emulator.registerClient({ audience, scopes: ['read:reports'] })
 */
export interface Auth0ClientCredentials {
  clientId: string
  clientSecret: string
  audience: string
  scopes: string[]
}

interface ClientGrant {
  readonly scopes: readonly string[]
  readonly permissions: readonly string[] | undefined
}

interface ClientRecord {
  readonly clientId: string
  readonly clientSecret: string
  readonly grants: Map<string, ClientGrant>
  readonly organizations: readonly Auth0Organization[]
  readonly grantTypes: readonly string[]
}

/**
 * The tenant's M2M applications and their client grants: registering them, minting their tokens,
 * and authenticating them for the token endpoint (see {@link clientCredentialsToken}) and
 * `/oauth/revoke`.
 *
 * @example
 * const clients = new Auth0Clients(audience, mint)
 * const { clientId } = clients.register({ audience, scopes: ['read:reports'] })
 * const accessToken = await clients.mint({ clientId, expiresIn: -60 })
 */
export class Auth0Clients {
  readonly #clients = new Map<string, ClientRecord>()
  readonly #ownClientId: string = randomAlphanumeric(32)
  readonly #audience: string
  readonly #mint: Auth0TokenMint

  constructor(audience: string, mint: Auth0TokenMint) {
    this.#audience = audience
    this.#mint = mint
  }

  /** Registers an M2M application and its client grant (see {@link RegisterAuth0ClientOptions}). */
  register(options: RegisterAuth0ClientOptions): Auth0ClientCredentials {
    const existing =
      options.clientId === undefined ? undefined : this.#clients.get(options.clientId)
    const client: ClientRecord = existing ?? {
      clientId: options.clientId ?? randomAlphanumeric(32),
      clientSecret: options.clientSecret ?? randomAlphanumeric(64),
      grants: new Map(),
      organizations: structuredClone(options.organizations ?? []),
      grantTypes: [...(options.grantTypes ?? ['client_credentials'])],
    }
    client.grants.set(options.audience, {
      scopes: [...options.scopes],
      permissions: options.permissions && [...options.permissions],
    })
    this.#clients.set(client.clientId, client)
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      audience: options.audience,
      scopes: [...options.scopes],
    }
  }

  /** Signs an M2M access token (see {@link MintAuth0MachineTokenOptions}). */
  async mint(options: MintAuth0MachineTokenOptions): Promise<string> {
    const clientId = options.clientId ?? this.#ownClientId
    const audience = options.audience ?? this.#audience
    const grant =
      typeof audience === 'string' ? this.#clients.get(clientId)?.grants.get(audience) : undefined
    return this.#mint.machine(
      { clientId, audience, scope: options.scope ?? grant?.scopes.join(' ') ?? '' },
      { ...options, permissions: options.permissions ?? grant?.permissions?.slice() }
    )
  }

  /** The client whose credentials the request carries, or Auth0's refusal. */
  authenticate(c: Context, form: Record<string, string>): ClientRecord | Response {
    const basic = basicClientCredentials(c.req.header('authorization'))
    const clientId = form.client_id ?? basic?.clientId
    const clientSecret = form.client_secret ?? basic?.clientSecret
    if (!clientId)
      return auth0Error(400, 'invalid_request', 'Missing required parameter: client_id')
    const client = this.#clients.get(clientId)
    if (!client || client.clientSecret !== clientSecret) {
      return auth0Error(401, 'access_denied', 'Unauthorized')
    }
    return client
  }
}

/**
 * `POST /oauth/token`: the client-credentials grant as Auth0 answers it: credentials in the body
 * (form or JSON) or `Authorization: Basic`; `audience` required (no default audience applies to
 * this grant); `organization` an id or name of the client's organizations. Errors: 400
 * `invalid_request` or `unsupported_grant_type`, 401 `access_denied` (bad credentials), 403
 * `unauthorized_client` (grant type off) or `access_denied` (no audience, no client grant for it,
 * or not the client's organization). Inferred, not documented: the missing-audience and
 * organization messages.
 *
 * @example
 * app.post('/oauth/token', (c) => clientCredentialsToken(c, clients))
 */
export async function clientCredentialsToken(c: Context, clients: Auth0Clients): Promise<Response> {
  const form = await oauthParameters(c.req.raw)
  if (!form) return auth0Error(400, 'invalid_request', 'Malformed request body')
  if (!form.grant_type) {
    return auth0Error(400, 'invalid_request', 'Missing required parameter: grant_type')
  }
  if (form.grant_type !== 'client_credentials') {
    return auth0Error(400, 'unsupported_grant_type', `Unsupported grant type: ${form.grant_type}`)
  }
  const client = clients.authenticate(c, form)
  if (client instanceof Response) return client
  if (!client.grantTypes.includes('client_credentials')) {
    return auth0Error(
      403,
      'unauthorized_client',
      "Grant type 'client_credentials' not allowed for the client.",
      { errorUri: 'https://auth0.com/docs/clients/client-grant-types' }
    )
  }
  const audience = form.audience
  if (!audience) {
    return auth0Error(
      403,
      'access_denied',
      'No audience parameter was provided, and no default audience has been configured'
    )
  }
  const grant = client.grants.get(audience)
  if (!grant) {
    return auth0Error(
      403,
      'access_denied',
      `Client is not authorized to access "${audience}". You need to create a "client-grant" ` +
        'associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants'
    )
  }
  const organization = form.organization
    ? client.organizations.find(
        ({ id, name }) => form.organization === id || form.organization === name
      )
    : undefined
  if (form.organization && !organization) {
    return auth0Error(
      403,
      'access_denied',
      `Client is not allowed to access the organization "${form.organization}"`
    )
  }
  // The grant supplies the token's scope and permissions.
  const accessToken = await clients.mint({
    clientId: client.clientId,
    audience,
    ...(organization && { orgId: organization.id, orgName: organization.name }),
  })
  return c.json(
    {
      access_token: accessToken,
      scope: grant.scopes.join(' '),
      expires_in: TOKEN_LIFETIME_SECONDS,
      token_type: 'Bearer',
    },
    200,
    { 'cache-control': 'no-store' }
  )
}
