/**
 * @module
 * The Auth0 emulator's test controls: its address, signing keys, faults and request counts.
 */
import { Hono } from 'hono'
import type { Auth0Emulator } from './emulator.ts'
import type { Auth0Fault, Auth0FaultOptions, Auth0FaultRule } from './faults.ts'
import { auth0EmulatorParts, type Auth0EmulatorOptions, type Auth0EmulatorParts } from './parts.ts'
import type { Auth0KeyChoice, Auth0SigningKey } from './signing-keys.ts'
import type { Auth0EmulatorCalls } from './traffic.ts'

/**
 * The parts of an Auth0 emulator, for the class built on its controls and for its routes. Set once
 * by the class's static block and not exported from the package: no part shows in the public type.
 *
 * @example
 * const { clients, mint } = partsOf(this)
 */
export let partsOf: (emulator: Auth0EmulatorControls) => Auth0EmulatorParts

/**
 * The Hono app under an {@link Auth0Emulator}, with the controls a test turns around the tokens:
 * the tenant's URL, its signing keys (rotation, revocation), faults and request counts. Each
 * delegates to the part that owns it.
 *
 * @example
 * await emulator.rotateKeys()
 * emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks', times: 1 })
 */
export class Auth0EmulatorControls extends Hono {
  static {
    partsOf = (emulator) => emulator.#parts
  }

  readonly #parts: Auth0EmulatorParts

  constructor(options: Auth0EmulatorOptions) {
    const parts = auth0EmulatorParts(options)
    super()
    this.#parts = parts
  }

  /** The URL the emulator is reachable at, without a trailing slash. */
  get baseUrl(): string {
    return this.#parts.address.baseUrl
  }

  /** The tenant's issuer, `iss` of every token: the base URL with a trailing slash. */
  get issuer(): string {
    return this.#parts.address.issuer
  }

  /** Where the keys are published. */
  get jwksUrl(): string {
    return this.#parts.address.jwksUrl
  }

  /** Tells the emulator the URL it is reachable at (a trailing slash is dropped). */
  setBaseUrl(url: string): void {
    this.#parts.address.set(url)
  }

  /** A signing key, private half included, to forge tokens by hand (default the current key). */
  signingKey(choice: Auth0KeyChoice = 'current'): Promise<Auth0SigningKey> {
    return this.#parts.keys.key(choice)
  }

  /** The next key signs from now on; a new next key is published; the current one becomes previous. */
  rotateKeys(): Promise<void> {
    return this.#parts.keys.rotate()
  }

  /** Unpublishes the previous key: tokens it signed stop verifying. Rejects when there is none. */
  revokePreviousKey(): Promise<void> {
    return this.#parts.keys.revokePrevious()
  }

  /** Adds a fault rule after the existing ones (see {@link Auth0Fault}). */
  injectFault(fault: Auth0Fault, options?: Auth0FaultOptions): Auth0FaultRule {
    return this.#parts.traffic.injectFault(fault, options)
  }

  /** Removes every fault rule and ends every `latency` wait. */
  clearFaults(): void {
    this.#parts.traffic.clearFaults()
  }

  /** A snapshot of the request counts. */
  get calls(): Auth0EmulatorCalls {
    return this.#parts.traffic.calls
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    this.#parts.traffic.resetCalls()
  }
}
