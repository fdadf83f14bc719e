/**
 * @module
 * The emulator's test controls: RBAC policy, base URL, signing keys, faults and request counts.
 */
import { Hono } from 'hono'
import type { CustomRole, Policy } from 'stytch'
import type { StytchEmulator } from './emulator.ts'
import type { EmulatorEnv, Fault, FaultOptions, FaultRule } from './faults.ts'
import type { SigningKey } from './keys.ts'
import { emulatorParts, type EmulatorParts, type StytchEmulatorOptions } from './parts.ts'
import type { defaultPolicy } from './rbac.ts'
import type { EmulatorCalls } from './traffic.ts'

/**
 * The parts of an emulator, for the class built on its controls and for its routes. Set once by
 * the class's static block and not exported from the package: no part shows in the public type.
 *
 * @example
 * const { accounts, tokens } = partsOf(this)
 */
export let partsOf: (emulator: EmulatorControls) => EmulatorParts

/**
 * The Hono app under a {@link StytchEmulator}, with the controls a test turns around the data: the
 * RBAC policy, the emulator's base URL, key rotation, faults and request counts. Each delegates
 * to the part that owns it.
 *
 * @example
 * emulator.setPolicy({ ...defaultPolicy(), scopes: [] })
 * emulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'policy', times: 1 })
 */
export class EmulatorControls extends Hono<EmulatorEnv> {
  static {
    partsOf = (emulator) => emulator.#parts
  }

  readonly #parts: EmulatorParts

  constructor(options: StytchEmulatorOptions) {
    const parts = emulatorParts(options)
    super()
    this.#parts = parts
  }

  /** A copy of the project's RBAC policy, as `GET /v1/b2b/rbac/policy` serves it. */
  get policy(): Policy {
    return this.#parts.policy.get()
  }

  /**
   * Replaces the project's RBAC policy (roles, resources, Connected Apps scopes), at once for every
   * later request. The emulator starts with {@link defaultPolicy}.
   */
  setPolicy(policy: Policy): void {
    this.#parts.policy.set(policy)
  }

  /**
   * Replaces an organization's custom roles: its org policy and its `custom_roles`, at once for
   * every later request. Throws for an unknown organization.
   */
  setOrganizationRoles(organizationId: string, roles: CustomRole[]): void {
    this.#parts.policy.setOrganizationRoles(organizationId, roles)
  }

  /** The URL the emulator is reachable at, if known: the `iss` of Connected Apps tokens. */
  get baseUrl(): string | undefined {
    return this.#parts.tokens.baseUrl
  }

  /** Tells the emulator the URL it is reachable at (a trailing slash is dropped). */
  setBaseUrl(url: string): void {
    this.#parts.tokens.setBaseUrl(url)
  }

  /** A new key signs from now on; the previous one stays in the JWKS, as in a Stytch rotation. */
  rotateKeys(): Promise<void> {
    return this.#parts.keys.rotate()
  }

  /** Removes the previous key from the JWKS: JWTs it signed are rejected from then on. */
  dropPreviousKey(): void {
    this.#parts.keys.dropPrevious()
  }

  /** The current signing key, private half included, to forge tokens in attack tests. */
  signingKeys(): Promise<SigningKey> {
    return this.#parts.keys.current()
  }

  /** Adds a fault rule after the existing ones (see {@link Fault}). */
  injectFault(fault: Fault, options?: FaultOptions): FaultRule {
    return this.#parts.traffic.faults.add(fault, options)
  }

  /** Removes every fault rule and releases hung requests. */
  clearFaults(): void {
    this.#parts.traffic.faults.clear()
  }

  /** Lets every request held by a `hang` fault go on to its normal answer. */
  releaseHungRequests(): void {
    this.#parts.traffic.faults.releaseHung()
  }

  /** A snapshot of the request counts. */
  get calls(): EmulatorCalls {
    return this.#parts.traffic.calls
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    this.#parts.traffic.resetCalls()
  }
}
