/**
 * @module
 * The tenant's address: the base URL it is reachable at, and the issuer and JWKS URL made from it.
 */

/**
 * Where the emulated tenant is reachable: its base URL (without a trailing slash), which
 * `startAuth0Emulator()` sets once it listens, and the issuer and JWKS URL that follow from it.
 *
 * @example
 * const address = new TenantAddress('http://127.0.0.1:4020/')
 * address.issuer // 'http://127.0.0.1:4020/'
 */
export class TenantAddress {
  #baseUrl: string

  constructor(baseUrl: string) {
    this.#baseUrl = withoutTrailingSlash(baseUrl)
  }

  /** The URL the tenant is reachable at, without a trailing slash. */
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

  /** Moves the tenant to `url` (a trailing slash is dropped). */
  set(url: string): void {
    this.#baseUrl = withoutTrailingSlash(url)
  }
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
