/**
 * @module
 * Minting tokens: the claims and header Auth0 signs for a user or a client, and forged ones.
 */
import { SignJWT } from 'jose'
import type { TenantAddress } from './address.ts'
import { randomAlphanumeric, randomHex } from './ids.ts'
import type { Auth0UserProfile, UserProfiles } from './profiles.ts'
import type { Auth0KeyChoice, Auth0SigningKeys } from './signing-keys.ts'

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

/** Auth0's default API access token lifetime, in seconds. */
export const TOKEN_LIFETIME_SECONDS = 86_400
const DEFAULT_USER_SCOPE = 'openid profile email'

/**
 * Signs the tenant's access tokens, with Auth0's claims for the profile the header's `typ` picks,
 * then whatever the options forge.
 *
 * @example
 * const mint = new Auth0TokenMint({ audience, address, keys, profiles })
 * const token = await mint.user({ permissions: ['read:documents'] })
 */
export class Auth0TokenMint {
  readonly #audience: string
  readonly #address: TenantAddress
  readonly #keys: Auth0SigningKeys
  readonly #profiles: UserProfiles
  readonly #appClientId: string = randomAlphanumeric(32)

  constructor(tenant: {
    audience: string
    address: TenantAddress
    keys: Auth0SigningKeys
    profiles: UserProfiles
  }) {
    this.#audience = tenant.audience
    this.#address = tenant.address
    this.#keys = tenant.keys
    this.#profiles = tenant.profiles
  }

  /** Signs a user's access token (see {@link MintAuth0UserTokenOptions}). */
  async user(options: MintAuth0UserTokenOptions): Promise<string> {
    const sub = options.sub ?? `auth0|${randomHex(24)}`
    const scope = options.scope ?? DEFAULT_USER_SCOPE
    if (options.profile) this.#profiles.set(sub, options.profile)
    const audience =
      options.audience ??
      (scope.split(' ').includes('openid')
        ? [this.#audience, `${this.#address.issuer}userinfo`]
        : this.#audience)
    return this.#sign(
      { sub, audience, scope, clientId: options.clientId ?? this.#appClientId },
      options
    )
  }

  /** Signs a client's access token: `sub` `{clientId}@clients`, `gty` `client-credentials`. */
  async machine(
    token: { clientId: string; audience: string | string[]; scope: string },
    options: MintAuth0TokenOptions
  ): Promise<string> {
    return this.#sign(
      { ...token, sub: `${token.clientId}@clients`, gty: 'client-credentials' },
      options
    )
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
      iss: this.#address.issuer,
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
}
