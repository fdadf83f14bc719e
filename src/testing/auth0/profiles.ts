/**
 * @module
 * Users' profiles: the ones minted tokens set, and the claims `/userinfo` releases of them by scope.
 */

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

/** The OpenID Connect claims each scope releases at `/userinfo`. */
const PROFILE_CLAIMS: Record<string, readonly (keyof Auth0UserProfile)[]> = {
  profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at'],
  email: ['email', 'email_verified'],
}

/**
 * The tenant's users' profiles, by `sub`: the one a minted token set, else Ada Lovelace's.
 *
 * @example
 * const profiles = new UserProfiles()
 * profiles.set('auth0|1', { name: 'Grace Hopper', email: 'grace@example.test' })
 * profiles.released('auth0|1', ['openid', 'email']) // { email: 'grace@example.test' }
 */
export class UserProfiles {
  readonly #profiles = new Map<string, Auth0UserProfile>()
  readonly #createdAt: string = new Date().toISOString()

  /** Makes `profile` what `/userinfo` answers for `sub` from now on. */
  set(sub: string, profile: Auth0UserProfile): void {
    this.#profiles.set(sub, structuredClone(profile))
  }

  /** The claims of `sub`'s profile that `scopes` release, in the order the scopes name them. */
  released(sub: string, scopes: readonly string[]): Record<string, unknown> {
    const profile = this.#profiles.get(sub) ?? this.#defaultProfile()
    const released = scopes.flatMap((scope) => PROFILE_CLAIMS[scope] ?? [])
    return Object.fromEntries(
      released.filter((name) => profile[name] !== undefined).map((name) => [name, profile[name]])
    )
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
