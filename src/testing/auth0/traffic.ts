/**
 * @module
 * Faults and counters: every request is counted, and each to an emulated endpoint gated by its faults.
 */
import type { MiddlewareHandler } from 'hono'
import {
  Auth0FaultRules,
  type Auth0Endpoint,
  type Auth0Fault,
  type Auth0FaultOptions,
  type Auth0FaultRule,
} from './faults.ts'

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

/**
 * What reaches the emulated tenant: the request counts, and the fault rules that
 * {@link Auth0Traffic.gate} applies to each request to an endpoint.
 *
 * @example
 * const traffic = new Auth0Traffic()
 * app.use(traffic.counter())
 * app.get('/.well-known/jwks.json', traffic.gate('jwks'), (c) => c.json({ keys: [] }))
 * traffic.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks', times: 1 })
 */
export class Auth0Traffic {
  readonly #faults: Auth0FaultRules = new Auth0FaultRules()
  readonly #calls: Auth0EmulatorCalls = zeroCalls()

  /** A snapshot of the request counts. */
  get calls(): Auth0EmulatorCalls {
    return { ...this.#calls }
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    Object.assign(this.#calls, zeroCalls())
  }

  /** Adds a fault rule after the existing ones (see {@link Auth0Fault}). */
  injectFault(fault: Auth0Fault, options?: Auth0FaultOptions): Auth0FaultRule {
    return this.#faults.add(fault, options)
  }

  /** Removes every fault rule and ends every `latency` wait. */
  clearFaults(): void {
    this.#faults.clear()
  }

  /** Middleware that counts every request in `total`. */
  counter(): MiddlewareHandler {
    return async (_c, next) => {
      this.#calls.total++
      await next()
    }
  }

  /** Middleware that counts a request to `endpoint`, then faults it or lets it go on. */
  gate(endpoint: Auth0Endpoint): MiddlewareHandler {
    return async (c, next) => {
      this.#calls[endpoint]++
      return (await this.#faults.apply(endpoint, c.req.raw.signal)) ?? next()
    }
  }
}

function zeroCalls(): Auth0EmulatorCalls {
  return { discovery: 0, jwks: 0, token: 0, userinfo: 0, revoke: 0, total: 0 }
}
