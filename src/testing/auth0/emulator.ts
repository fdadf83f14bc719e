/**
 * @module
 * A local Auth0 tenant for tests: discovery, JWKS with rotation, the client-credentials token
 * endpoint, `/userinfo`, and test controls to mint any token a tenant could sign (and some it
 * never would). Runs on any runtime: keys are made with Web Crypto through jose.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import * as v from 'valibot'
import { basicClientCredentials, oauthParameters } from '../emulator/oauth.ts'
import { auth0Error } from './auth0-error.ts'
import {
  Auth0FaultRules,
  type Auth0Endpoint,
  type Auth0Fault,
  type Auth0FaultOptions,
  type Auth0FaultRule,
} from './faults.ts'
import { Auth0SigningKeys, type Auth0KeyChoice, type Auth0SigningKey } from './signing-keys.ts'

/**
 * How to set up an Auth0 emulator. Every field is optional.
 *
 * @example
 * auth0Emulator({ baseUrl: 'http://127.0.0.1:4020', audience: 'https://api.example.com' })
 */
export interface Auth0EmulatorOptions {
  /**
   * The URL the emulator is reachable at, without a trailing slash; the issuer is this URL with a
   * slash. Default `http://localhost` (where `app.request()` sends); `startAuth0Emulator()` sets it.
   */
  baseUrl?: string
  /** The API identifier tokens are minted for by default. Default `https://api.example.test`. */
  audience?: string
  /** Run even when `NODE_ENV` is `production` (default `false`). */
  allowProduction?: boolean
}

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

/**
 * What a minted token says, beyond its defaults. `expiresIn` (seconds, default 86400; negative for
 * an expired token) and `notBefore` (seconds from now, adds `nbf`) set the times; `audience`
 * replaces `aud`; `permissions` adds the claim (absent by default); `orgId` and `orgName` add
 * `org_id` and `org_name`. `typ` is the header's (default `JWT`; `at+jwt` switches to the RFC 9068
 * profile: `client_id` and `jti` instead of `azp`; `null` leaves it out). `key` picks the signing
 * key (default `current`). `claims` and `header` are merged last and win: they forge what Auth0
 * never signs (a `claims` member set to `undefined` removes the claim).
 *
 * @example
 * const expired: MintAuth0TokenOptions = { expiresIn: -60, permissions: ['read:documents'] }
 */
export interface MintAuth0TokenOptions {
  scope?: string
  permissions?: string[]
  orgId?: string
  orgName?: string
  audience?: string | string[]
  expiresIn?: number
  notBefore?: number
  typ?: 'JWT' | 'at+jwt' | (string & {}) | null
  key?: Auth0KeyChoice
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
}

/**
 * A user's access token to mint: `sub` defaults to a fresh `auth0|…` id, `scope` to `openid
 * profile email`, `clientId` (the application, `azp`) to the emulator's own, and `aud` to the
 * default API plus `{issuer}userinfo` when `scope` has `openid`. `profile` is what `/userinfo`
 * answers for this `sub` from then on.
 *
 * @example
 * await emulator.mintUserToken({ permissions: ['read:documents'], orgId: 'org_1', orgName: 'acme' })
 */
export interface MintAuth0UserTokenOptions extends MintAuth0TokenOptions {
  sub?: string
  clientId?: string
  profile?: Auth0UserProfile
}

/**
 * An M2M access token to mint for `clientId` (default: the emulator's own M2M client), as the
 * token endpoint would: `sub` `{clientId}@clients`, `gty` `client-credentials`, `aud` the default
 * API. A registered client's grant for that audience supplies `scope` and `permissions` unless
 * given.
 *
 * @example
 * await emulator.mintMachineToken({ clientId, scope: 'read:reports', orgId: 'org_1' })
 */
export interface MintAuth0MachineTokenOptions extends MintAuth0TokenOptions {
  clientId?: string
}

/**
 * The profile `/userinfo` answers with (filtered by the token's scopes: `profile`, `email`).
 *
 * @example
 * await emulator.mintUserToken({ profile: { name: 'Grace Hopper', email: 'grace@example.test' } })
 */
export interface Auth0UserProfile {
  name?: string
  given_name?: string
  family_name?: string
  nickname?: string
  picture?: string
  email?: string
  email_verified?: boolean
  updated_at?: string
}

/**
 * How many requests reached each endpoint (named as in {@link Auth0Endpoint}), faulted or not;
 * `total` counts every request, unknown paths included.
 *
 * @example
 * expect(emulator.calls).toMatchObject({ jwks: 1, discovery: 0 })
 */
export interface Auth0EmulatorCalls extends Record<Auth0Endpoint, number> {
  total: number
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

/** Auth0's default API access token lifetime, in seconds. */
const TOKEN_LIFETIME_SECONDS = 86_400
const DEFAULT_AUDIENCE = 'https://api.example.test'
const DEFAULT_USER_SCOPE = 'openid profile email'
/** The OpenID Connect claims each scope releases at `/userinfo`. */
const PROFILE_CLAIMS: Record<string, readonly (keyof Auth0UserProfile)[]> = {
  profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at'],
  email: ['email', 'email_verified'],
}
/** The claims `/userinfo` reads from the access token it is given. */
const UserinfoClaims = v.looseObject({ sub: v.string(), scope: v.optional(v.string(), '') })
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A local Auth0 tenant: a Hono app serving, as Auth0 does,
 * `GET /.well-known/openid-configuration`, `GET /.well-known/jwks.json` (the current and next keys,
 * plus the previous one until revoked, with `x5c` certificates), `POST /oauth/token` (client
 * credentials, form or JSON body or Basic auth, `audience` required, `organization` optional),
 * `GET /userinfo` and `POST /oauth/revoke` (refresh tokens only: access tokens cannot be revoked
 * in Auth0, so it changes nothing). The test controls are methods: register clients, mint tokens,
 * rotate and revoke keys, inject faults, count requests. Every response carries
 * `x-auth0-emulator: ayz-auth`.
 *
 * @example
 * const emulator = new Auth0Emulator()
 * const token = await emulator.mintUserToken({ permissions: ['read:documents'] })
 * const jwks = await (await emulator.request('/.well-known/jwks.json')).json()
 */
export class Auth0Emulator extends Hono {
  readonly audience: string
  readonly #keys = new Auth0SigningKeys()
  readonly #faults = new Auth0FaultRules()
  readonly #calls: Auth0EmulatorCalls = zeroCalls()
  readonly #clients = new Map<string, ClientRecord>()
  readonly #profiles = new Map<string, Auth0UserProfile>()
  readonly #appClientId = randomAlphanumeric(32)
  readonly #machineClientId = randomAlphanumeric(32)
  readonly #createdAt = new Date().toISOString()
  #baseUrl: string

  constructor(options: Auth0EmulatorOptions = {}) {
    refuseProduction(options.allowProduction ?? false)
    super()
    this.audience = options.audience ?? DEFAULT_AUDIENCE
    this.#baseUrl = withoutTrailingSlash(options.baseUrl ?? 'http://localhost')
    this.use(async (c, next) => {
      this.#calls.total++
      await next()
      c.res.headers.set('x-auth0-emulator', 'ayz-auth')
    })
    this.get('/.well-known/openid-configuration', this.#gate('discovery'), (c) =>
      c.json(this.#discoveryDocument())
    )
    this.get('/.well-known/jwks.json', this.#gate('jwks'), async (c) =>
      c.json({ keys: await this.#keys.jwks() })
    )
    this.post('/oauth/token', this.#gate('token'), (c) => this.#token(c))
    this.get('/userinfo', this.#gate('userinfo'), (c) => this.#userinfo(c))
    this.post('/oauth/revoke', this.#gate('revoke'), (c) => this.#revoke(c))
    this.notFound(() => auth0Error(404, 'not_found', 'Not Found'))
  }

  /** The URL the emulator is reachable at, without a trailing slash. */
  get baseUrl(): string {
    return this.#baseUrl
  }

  /** The tenant's issuer, `iss` of every token: the base URL with a trailing slash. */
  get issuer(): string {
    return `${this.#baseUrl}/`
  }

  /** Where the keys are published. */
  get jwksUrl(): string {
    return `${this.#baseUrl}/.well-known/jwks.json`
  }

  /** Tells the emulator the URL it is reachable at (a trailing slash is dropped). */
  setBaseUrl(url: string): void {
    this.#baseUrl = withoutTrailingSlash(url)
  }

  /** Registers an M2M application and its client grant (see {@link RegisterAuth0ClientOptions}). */
  registerClient(options: RegisterAuth0ClientOptions): Auth0ClientCredentials {
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

  /** Signs a user's access token (see {@link MintAuth0UserTokenOptions}). */
  async mintUserToken(options: MintAuth0UserTokenOptions = {}): Promise<string> {
    const sub = options.sub ?? `auth0|${randomHex(24)}`
    const scope = options.scope ?? DEFAULT_USER_SCOPE
    if (options.profile) this.#profiles.set(sub, structuredClone(options.profile))
    const audience =
      options.audience ??
      (scope.split(' ').includes('openid')
        ? [this.audience, `${this.issuer}userinfo`]
        : this.audience)
    return this.#sign(
      { sub, audience, scope, clientId: options.clientId ?? this.#appClientId },
      options
    )
  }

  /** Signs an M2M access token (see {@link MintAuth0MachineTokenOptions}). */
  async mintMachineToken(options: MintAuth0MachineTokenOptions = {}): Promise<string> {
    const clientId = options.clientId ?? this.#machineClientId
    const audience = options.audience ?? this.audience
    const grant =
      typeof audience === 'string' ? this.#clients.get(clientId)?.grants.get(audience) : undefined
    return this.#sign(
      {
        sub: `${clientId}@clients`,
        audience,
        scope: options.scope ?? grant?.scopes.join(' ') ?? '',
        clientId,
        gty: 'client-credentials',
      },
      { ...options, permissions: options.permissions ?? grant?.permissions?.slice() }
    )
  }

  /** A signing key, private half included, to forge tokens by hand (default the current key). */
  signingKey(choice: Auth0KeyChoice = 'current'): Promise<Auth0SigningKey> {
    return this.#keys.key(choice)
  }

  /** The next key signs from now on; a new next key is published; the current one becomes previous. */
  rotateKeys(): Promise<void> {
    return this.#keys.rotate()
  }

  /** Unpublishes the previous key: tokens it signed stop verifying. Rejects when there is none. */
  revokePreviousKey(): Promise<void> {
    return this.#keys.revokePrevious()
  }

  /** Adds a fault rule after the existing ones (see {@link Auth0Fault}). */
  injectFault(fault: Auth0Fault, options?: Auth0FaultOptions): Auth0FaultRule {
    return this.#faults.add(fault, options)
  }

  /** Removes every fault rule and ends every `latency` wait. */
  clearFaults(): void {
    this.#faults.clear()
  }

  /** A snapshot of the request counts. */
  get calls(): Auth0EmulatorCalls {
    return { ...this.#calls }
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    Object.assign(this.#calls, zeroCalls())
  }

  /** Counts a request to `endpoint` and applies the faults injected for it. */
  #gate(endpoint: Auth0Endpoint): MiddlewareHandler {
    return async (c, next) => {
      this.#calls[endpoint]++
      return (await this.#faults.apply(endpoint, c.req.raw.signal)) ?? next()
    }
  }

  /** The signed token: Auth0's claims for the profile `typ` picks, then `claims`, `header`. */
  async #sign(
    token: {
      sub: string
      audience: string | string[]
      scope: string
      clientId: string
      gty?: 'client-credentials'
    },
    options: MintAuth0TokenOptions
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const typ = options.typ === undefined ? 'JWT' : options.typ
    const rfc9068 = typ?.toLowerCase() === 'at+jwt'
    const claims = {
      iss: this.issuer,
      sub: token.sub,
      aud: token.audience,
      iat: now,
      exp: now + (options.expiresIn ?? TOKEN_LIFETIME_SECONDS),
      ...(options.notBefore !== undefined && { nbf: now + options.notBefore }),
      scope: token.scope,
      ...(rfc9068
        ? { client_id: token.clientId, jti: crypto.randomUUID() }
        : { azp: token.clientId, ...(token.gty && { gty: token.gty }) }),
      ...(options.orgId !== undefined && { org_id: options.orgId }),
      ...(options.orgName !== undefined && { org_name: options.orgName }),
      ...(options.permissions !== undefined && { permissions: [...options.permissions] }),
      ...options.claims,
    }
    const key = await this.#keys.key(options.key ?? 'current')
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: 'RS256',
        ...(typ !== null && { typ }),
        kid: key.kid,
        ...options.header,
      })
      .sign(key.privateKey)
  }

  /** The discovery document: the endpoints served here, plus `/authorize`, named but not served. */
  #discoveryDocument(): Record<string, unknown> {
    const base = this.#baseUrl
    return {
      issuer: this.issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/oauth/token`,
      userinfo_endpoint: `${base}/userinfo`,
      jwks_uri: this.jwksUrl,
      revocation_endpoint: `${base}/oauth/revoke`,
      scopes_supported: ['openid', 'profile', 'offline_access', 'email'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      claims_supported: [
        'aud',
        'auth_time',
        'email',
        'email_verified',
        'exp',
        'family_name',
        'given_name',
        'iat',
        'iss',
        'name',
        'nickname',
        'picture',
        'sub',
      ],
    }
  }

  /**
   * The client-credentials grant as Auth0 answers it: credentials in the body (form or JSON) or
   * `Authorization: Basic`; `audience` required (no default audience applies to this grant);
   * `organization` an id or name of the client's organizations. Errors: 400 `invalid_request` or
   * `unsupported_grant_type`, 401 `access_denied` (bad credentials), 403 `unauthorized_client`
   * (grant type off) or `access_denied` (no audience, no client grant for it, or not the client's
   * organization). Inferred, not documented: the missing-audience and organization messages.
   */
  async #token(c: Context): Promise<Response> {
    const form = await oauthParameters(c.req.raw)
    if (!form) return auth0Error(400, 'invalid_request', 'Malformed request body')
    if (!form.grant_type) {
      return auth0Error(400, 'invalid_request', 'Missing required parameter: grant_type')
    }
    if (form.grant_type !== 'client_credentials') {
      return auth0Error(400, 'unsupported_grant_type', `Unsupported grant type: ${form.grant_type}`)
    }
    const client = this.#authenticatedClient(c, form)
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
    const accessToken = await this.mintMachineToken({
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

  /** The client whose credentials the request carries, or Auth0's refusal. */
  #authenticatedClient(c: Context, form: Record<string, string>): ClientRecord | Response {
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

  /**
   * The user's profile, for an access token this tenant signed with a published key, still valid,
   * whose `aud` includes `{issuer}userinfo` and whose `scope` has `openid`; the claims are those
   * the scopes release. Otherwise 401 `invalid_token`.
   */
  async #userinfo(c: Context): Promise<Response> {
    const refused = auth0Error(401, 'invalid_token', 'The access token is invalid or has expired', {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    })
    const [scheme, token] = (c.req.header('authorization') ?? '').split(' ')
    if (scheme?.toLowerCase() !== 'bearer' || !token) return refused
    const keys = createLocalJWKSet({ keys: await this.#keys.jwks() })
    const verified = await jwtVerify(token, keys, {
      issuer: this.issuer,
      audience: `${this.issuer}userinfo`,
      algorithms: ['RS256'],
    }).catch(() => undefined)
    const claims = v.safeParse(UserinfoClaims, verified?.payload)
    if (!claims.success) return refused
    const scopes = claims.output.scope.split(' ')
    if (!scopes.includes('openid')) return refused
    const profile = this.#profiles.get(claims.output.sub) ?? this.#defaultProfile()
    const released = scopes.flatMap((scope) => PROFILE_CLAIMS[scope] ?? [])
    return c.json({
      sub: claims.output.sub,
      ...Object.fromEntries(
        released.filter((name) => profile[name] !== undefined).map((name) => [name, profile[name]])
      ),
    })
  }

  /** RFC 7009 revocation of refresh tokens, of which the emulator issues none: a client-authenticated 200. */
  async #revoke(c: Context): Promise<Response> {
    const form = await oauthParameters(c.req.raw)
    if (!form?.token) return auth0Error(400, 'invalid_request', 'Missing required parameter: token')
    const client = this.#authenticatedClient(c, form)
    return client instanceof Response ? client : c.body(null, 200)
  }

  #defaultProfile(): Auth0UserProfile {
    return {
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      nickname: 'ada',
      picture: 'https://example.test/ada.png',
      email: 'ada@example.test',
      email_verified: true,
      updated_at: this.#createdAt,
    }
  }
}

/**
 * Creates an {@link Auth0Emulator}. Throws when `NODE_ENV` is `production`, unless
 * `allowProduction` is set: it is a fake Auth0 that signs tokens for anyone.
 *
 * @example
 * import { auth0Emulator } from 'ayz-auth/testing'
 *
 * const emulator = auth0Emulator({ baseUrl: 'http://127.0.0.1:4020' })
 * const token = await emulator.mintUserToken({ permissions: ['read:documents'] })
 * export default emulator // a Hono app: serve it anywhere
 */
export function auth0Emulator(options: Auth0EmulatorOptions = {}): Auth0Emulator {
  return new Auth0Emulator(options)
}

function refuseProduction(allowProduction: boolean): void {
  const runtime = globalThis as { process?: { env?: Record<string, string | undefined> } }
  if (runtime.process?.env?.NODE_ENV === 'production' && !allowProduction) {
    throw new Error(
      'The Auth0 emulator refuses to run with NODE_ENV=production: it is a fake Auth0 that ' +
        'signs tokens for anyone. Pass { allowProduction: true } if you really mean it.'
    )
  }
}

function zeroCalls(): Auth0EmulatorCalls {
  return { discovery: 0, jwks: 0, token: 0, userinfo: 0, revoke: 0, total: 0 }
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function randomAlphanumeric(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('')
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, length)
}
