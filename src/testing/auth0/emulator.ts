/**
 * @module
 * A local Auth0 tenant for tests: discovery, JWKS with rotation, the client-credentials token
 * endpoint, `/userinfo`, and test controls to mint any token a tenant could sign (and some it
 * never would). Runs on any runtime: keys are made with Web Crypto through jose.
 */
import type { Auth0ClientCredentials, RegisterAuth0ClientOptions } from './clients.ts'
import { Auth0EmulatorControls, partsOf } from './controls.ts'
import type { MintAuth0MachineTokenOptions, MintAuth0UserTokenOptions } from './mint.ts'
import type { Auth0EmulatorOptions, Auth0EmulatorParts } from './parts.ts'
import { serveAuth0Api } from './routes.ts'

export type {
  Auth0ClientCredentials,
  Auth0Organization,
  RegisterAuth0ClientOptions,
} from './clients.ts'
export type {
  MintAuth0MachineTokenOptions,
  MintAuth0TokenOptions,
  MintAuth0UserTokenOptions,
} from './mint.ts'
export type { Auth0EmulatorOptions } from './parts.ts'
export type { Auth0UserProfile } from './profiles.ts'
export type { Auth0EmulatorCalls } from './traffic.ts'

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
export class Auth0Emulator extends Auth0EmulatorControls {
  readonly audience: string
  readonly #parts: Auth0EmulatorParts

  constructor(options: Auth0EmulatorOptions = {}) {
    super(options)
    this.#parts = partsOf(this)
    this.audience = this.#parts.audience
    serveAuth0Api(this, this.#parts)
  }

  /** Registers an M2M application and its client grant (see {@link RegisterAuth0ClientOptions}). */
  registerClient(options: RegisterAuth0ClientOptions): Auth0ClientCredentials {
    return this.#parts.clients.register(options)
  }

  /** Signs a user's access token (see {@link MintAuth0UserTokenOptions}). */
  async mintUserToken(options: MintAuth0UserTokenOptions = {}): Promise<string> {
    return this.#parts.mint.user(options)
  }

  /** Signs an M2M access token (see {@link MintAuth0MachineTokenOptions}). */
  async mintMachineToken(options: MintAuth0MachineTokenOptions = {}): Promise<string> {
    return this.#parts.clients.mint(options)
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
