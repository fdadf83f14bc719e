/**
 * @module
 * The Auth0 emulator's options, and its parts built from them: one object per concern, wired together.
 */
import { TenantAddress } from './address.ts'
import { Auth0Clients } from './clients.ts'
import { Auth0TokenMint } from './mint.ts'
import { UserProfiles } from './profiles.ts'
import { Auth0SigningKeys } from './signing-keys.ts'
import { Auth0Traffic } from './traffic.ts'

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
 * One emulated tenant's state and behaviour, one part per concern; the parts share its default
 * audience, its address, its signing keys and its users' profiles.
 *
 * @example
 * const { clients, traffic } = auth0EmulatorParts({ audience: 'https://api.example.com' })
 */
export interface Auth0EmulatorParts {
  readonly audience: string
  readonly address: TenantAddress
  readonly keys: Auth0SigningKeys
  readonly profiles: UserProfiles
  readonly mint: Auth0TokenMint
  readonly clients: Auth0Clients
  readonly traffic: Auth0Traffic
}

const DEFAULT_AUDIENCE = 'https://api.example.test'

/**
 * Builds the parts of an emulator from its options. Throws when `NODE_ENV` is `production`, unless
 * `allowProduction` is set.
 *
 * @example
 * const parts = auth0EmulatorParts({ baseUrl: 'http://127.0.0.1:4020' })
 */
export function auth0EmulatorParts(options: Auth0EmulatorOptions): Auth0EmulatorParts {
  refuseProduction(options.allowProduction ?? false)
  const audience = options.audience ?? DEFAULT_AUDIENCE
  const address = new TenantAddress(options.baseUrl ?? 'http://localhost')
  const keys = new Auth0SigningKeys()
  const profiles = new UserProfiles()
  const mint = new Auth0TokenMint({ audience, address, keys, profiles })
  return {
    audience,
    address,
    keys,
    profiles,
    mint,
    clients: new Auth0Clients(audience, mint),
    traffic: new Auth0Traffic(),
  }
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
