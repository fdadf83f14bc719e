/**
 * @module
 * Faults the Auth0 emulator can be told to inject: error statuses (a 500 from the JWKS, Auth0's
 * 429) and slow responses.
 */
import { auth0Error } from './auth0-error.ts'

/**
 * The emulated Auth0 endpoints, by the name that fault rules and `emulator.calls` use:
 *
 * - `discovery`: `GET /.well-known/openid-configuration`
 * - `jwks`: `GET /.well-known/jwks.json`
 * - `token`: `POST /oauth/token`
 * - `userinfo`: `GET /userinfo`
 * - `revoke`: `POST /oauth/revoke`
 *
 * @example
 * auth0Endpoints.includes('jwks') // true
 */
export const auth0Endpoints = ['discovery', 'jwks', 'token', 'userinfo', 'revoke'] as const

/**
 * The name of an emulated Auth0 endpoint (see {@link auth0Endpoints}).
 *
 * @example
 * const endpoint: Auth0Endpoint = 'jwks'
 */
export type Auth0Endpoint = (typeof auth0Endpoints)[number]

/**
 * A way for the emulated tenant to misbehave:
 *
 * - `status`: an Auth0 error body with this status; a 429 is `too_many_requests` with
 *   `X-RateLimit-Limit`, `X-RateLimit-Remaining` (0) and `X-RateLimit-Reset` (epoch seconds)
 * - `latency`: wait `ms` before going on (to the rules after it, then the normal answer); the
 *   wait ends early when the client goes away or the faults are cleared
 *
 * @example
 * emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
 */
export type Auth0Fault = { kind: 'status'; status: number } | { kind: 'latency'; ms: number }

/**
 * Where and how often a fault applies: one endpoint or `'any'` (the default), `times` requests
 * (default: until removed).
 *
 * @example
 * emulator.injectFault({ kind: 'latency', ms: 6000 }, { endpoint: 'jwks', times: 1 })
 */
export interface Auth0FaultOptions {
  endpoint?: Auth0Endpoint | 'any'
  times?: number
}

/**
 * An injected fault, which can be removed.
 *
 * @example
 * const rule = emulator.injectFault({ kind: 'status', status: 429 })
 * rule.remove()
 */
export interface Auth0FaultRule {
  readonly fault: Auth0Fault
  remove(): void
}

interface ActiveRule {
  readonly fault: Auth0Fault
  readonly endpoint: Auth0Endpoint | 'any'
  remaining: number
}

/** Auth0's documented Authentication API limit, shown in a 429's headers. */
const RATE_LIMIT = 100

/**
 * The injected faults, applied in order of insertion to each request that reaches an endpoint.
 *
 * @example
 * const faults = new Auth0FaultRules()
 * faults.add({ kind: 'status', status: 500 }, { endpoint: 'jwks', times: 2 })
 * const faulty = await faults.apply('jwks', request.signal) // a Response, or undefined to go on
 */
export class Auth0FaultRules {
  #rules: ActiveRule[] = []
  readonly #waits = new Set<() => void>()

  /** Adds a rule after the existing ones. */
  add(
    fault: Auth0Fault,
    { endpoint = 'any', times = Infinity }: Auth0FaultOptions = {}
  ): Auth0FaultRule {
    const rule: ActiveRule = { fault, endpoint, remaining: times }
    this.#rules.push(rule)
    return { fault, remove: () => this.#remove(rule) }
  }

  /** Removes every rule and ends every `latency` wait. */
  clear(): void {
    this.#rules = []
    for (const end of this.#waits) end()
  }

  /** Applies the matching rules to a request: the faulty response, or `undefined` to go on. */
  async apply(endpoint: Auth0Endpoint, signal: AbortSignal): Promise<Response | undefined> {
    for (const rule of [...this.#rules]) {
      if ((rule.endpoint !== 'any' && rule.endpoint !== endpoint) || !this.#take(rule)) continue
      const { fault } = rule
      if (fault.kind === 'latency') await this.#wait(fault.ms, signal)
      else return faultyResponse(fault.status)
    }
    return undefined
  }

  #take(rule: ActiveRule): boolean {
    if (rule.remaining <= 0) return false
    if (--rule.remaining === 0) this.#remove(rule)
    return true
  }

  #remove(rule: ActiveRule): void {
    this.#rules = this.#rules.filter((active) => active !== rule)
  }

  /** Waits `ms`, or less when the client goes away or the faults are cleared. */
  #wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer)
        this.#waits.delete(end)
        signal.removeEventListener('abort', end)
        resolve()
      }
      const timer = setTimeout(end, ms)
      this.#waits.add(end)
      signal.addEventListener('abort', end)
      if (signal.aborted) end()
    })
  }
}

function faultyResponse(status: number): Response {
  if (status === 429) {
    return auth0Error(429, 'too_many_requests', 'Global limit has been reached', {
      headers: {
        'x-ratelimit-limit': String(RATE_LIMIT),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
      },
    })
  }
  return status >= 500
    ? auth0Error(status, 'server_error', 'The emulated Auth0 tenant failed (injected fault)')
    : auth0Error(status, 'invalid_request', 'Refused by an injected fault')
}
