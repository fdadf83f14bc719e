/**
 * @module
 * The emulator's options, and its parts built from them: one object per concern, wired together.
 */
import { Accounts } from './accounts.ts'
import { KeyRing } from './keys.ts'
import { M2MClients } from './m2m.ts'
import { ProjectPolicy } from './policy.ts'
import { EmulatorStore } from './store.ts'
import { TokenMint } from './tokens.ts'
import { Traffic } from './traffic.ts'

/**
 * How to set up an emulator. Every field is optional.
 *
 * @example
 * stytchEmulator({ latencyMs: 20, now: () => clock.now() })
 */
export interface StytchEmulatorOptions {
  /** Default `'project-test-00000000-0000-4000-8000-000000000000'`. */
  projectId?: string
  /** Default `'secret-test-emulator-00000000000000000000'`. */
  secret?: string
  /** Delay added to every `/v1` API response, in ms (default 0). */
  latencyMs?: number
  /** The clock in ms (default `Date.now`): session expiry, timestamps, JWT `iat`/`exp`. */
  now?: () => number
  /** Run even when `NODE_ENV` is `production` (default `false`). */
  allowProduction?: boolean
  /**
   * The URL the emulator is reachable at, without a trailing slash: the `iss` of Connected Apps
   * access tokens, as a project domain is in Stytch. `startStytchEmulator()` sets it.
   */
  baseUrl?: string
}

/**
 * One emulator's state and behaviour, one part per concern; the parts share its clock, its store
 * of organizations, members and sessions, and its signing keys.
 *
 * @example
 * const { accounts, traffic } = emulatorParts({ latencyMs: 20 })
 */
export interface EmulatorParts {
  readonly projectId: string
  readonly secret: string
  readonly store: EmulatorStore
  readonly keys: KeyRing
  readonly tokens: TokenMint
  readonly accounts: Accounts
  readonly m2m: M2MClients
  readonly policy: ProjectPolicy
  readonly traffic: Traffic
}

const defaultProjectId = 'project-test-00000000-0000-4000-8000-000000000000'
const defaultSecret = 'secret-test-emulator-00000000000000000000'

/**
 * Builds the parts of an emulator from its options. Throws when `NODE_ENV` is `production`, unless
 * `allowProduction` is set.
 *
 * @example
 * const parts = emulatorParts({ projectId, now: () => clock.now() })
 */
export function emulatorParts(options: StytchEmulatorOptions): EmulatorParts {
  refuseProduction(options.allowProduction ?? false)
  const projectId = options.projectId ?? defaultProjectId
  const now = options.now ?? Date.now
  const store = new EmulatorStore(now)
  const keys = new KeyRing()
  const tokens = new TokenMint({ projectId, now, keys, store })
  if (options.baseUrl !== undefined) tokens.setBaseUrl(options.baseUrl)
  return {
    projectId,
    secret: options.secret ?? defaultSecret,
    store,
    keys,
    tokens,
    accounts: new Accounts(store, now, tokens),
    m2m: new M2MClients(projectId, tokens),
    policy: new ProjectPolicy(store, now),
    traffic: new Traffic(options.latencyMs ?? 0),
  }
}

function refuseProduction(allowProduction: boolean): void {
  const runtime = globalThis as { process?: { env?: Record<string, string | undefined> } }
  if (runtime.process?.env?.NODE_ENV === 'production' && !allowProduction) {
    throw new Error(
      'The Stytch emulator refuses to run with NODE_ENV=production: it is a fake Stytch that ' +
        'hands out sessions to anyone. Pass { allowProduction: true } if you really mean it.'
    )
  }
}
