import type { Context } from 'hono'
import { errorTypeFor, stytchError } from './errors.ts'
import { newRequestId, testId } from './ids.ts'

/**
 * A way for the emulated Stytch API to misbehave.
 *
 * - `latency`: wait `ms`, then go on (stacks with the rules after it)
 * - `status`: a Stytch error body with this status (`errorType` defaults per status,
 *   `retryAfter` sets a `Retry-After` header)
 * - `non-json`: an HTML error page (default status 502)
 * - `truncated-json`: a 200 whose JSON stops mid-way
 * - `wrong-shape`: a 200 with valid JSON of the wrong shape (`member_session: null`)
 * - `hang`: no answer until the client gives up or the hung requests are released
 * - `reset`: the TCP connection is destroyed without a response
 *
 * @example
 * emulator.injectFault({ kind: 'status', status: 429, retryAfter: 2 }, { times: 1 })
 */
export type Fault =
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; errorType?: string; retryAfter?: number }
  | { kind: 'non-json'; status?: number }
  | { kind: 'truncated-json' }
  | { kind: 'wrong-shape' }
  | { kind: 'hang' }
  | { kind: 'reset' }

/**
 * Every emulated endpoint, by the name that {@link Endpoint}, fault rules and `emulator.calls` use:
 *
 * - `authenticate`, `revoke`: `POST /v1/b2b/sessions/authenticate`, `/revoke`
 * - `jwks`: `GET /v1/b2b/sessions/jwks/:project_id`
 * - `policy`: `GET /v1/b2b/rbac/policy`
 * - `orgPolicy`: `GET /v1/b2b/rbac/organizations/:organization_id`
 * - `token`: `POST /v1/public/:project_id/oauth2/token` (M2M client credentials)
 * - `introspect`: `POST /v1/public/:project_id/oauth2/introspect`
 * - `metadata`: `GET /.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`
 *
 * @example
 * endpoints.includes('policy') // true
 */
export const endpoints = [
  'authenticate',
  'revoke',
  'jwks',
  'policy',
  'orgPolicy',
  'token',
  'introspect',
  'metadata',
] as const

/**
 * The name of an emulated API endpoint (see {@link endpoints}).
 *
 * @example
 * const endpoint: Endpoint = 'orgPolicy'
 */
export type Endpoint = (typeof endpoints)[number]

/**
 * Where and how often a fault applies: one endpoint or `'any'` (the default), `times` requests
 * (default unlimited).
 *
 * @example
 * emulator.injectFault({ kind: 'hang' }, { endpoint: 'jwks', times: 1 })
 */
export interface FaultOptions {
  endpoint?: Endpoint | 'any'
  times?: number
}

/**
 * An injected fault, which can be removed.
 *
 * @example
 * const rule = emulator.injectFault({ kind: 'latency', ms: 200 })
 * rule.remove()
 */
export interface FaultRule {
  readonly id: string
  readonly fault: Fault
  remove(): void
}

/**
 * The bindings a fault may use: on `@hono/node-server`, the Node socket to reset.
 *
 * @example
 * const app = new Hono<EmulatorEnv>()
 */
export type EmulatorEnv = { Bindings: { incoming?: { socket?: { destroy(): void } } } }

/**
 * Thrown in-process for a `reset` fault, where there is no socket to destroy: the same
 * `TypeError: fetch failed` that `fetch` rejects with when a connection is reset.
 *
 * @example
 * await emulator.request('/v1/b2b/sessions/jwks/x') // rejects with ConnectionReset
 */
export class ConnectionReset extends TypeError {
  constructor() {
    super('fetch failed', { cause: new Error('connection reset by the Stytch emulator') })
  }
}

interface ActiveRule {
  readonly id: string
  readonly fault: Fault
  readonly endpoint: Endpoint | 'any'
  remaining: number
}

/**
 * The injected faults, applied in order of insertion to each request that reaches an endpoint.
 *
 * @example
 * const faults = new FaultRules()
 * faults.add({ kind: 'status', status: 503 }, { times: 2 })
 * const faulty = await faults.apply('authenticate', c) // a Response, or undefined to go on
 */
export class FaultRules {
  #rules: ActiveRule[] = []
  readonly #hung = new Set<() => void>()

  /** Adds a rule after the existing ones. */
  add(fault: Fault, { endpoint = 'any', times = Infinity }: FaultOptions = {}): FaultRule {
    const rule: ActiveRule = { id: testId('fault'), fault, endpoint, remaining: times }
    this.#rules.push(rule)
    return { id: rule.id, fault, remove: () => this.remove(rule.id) }
  }

  /** Removes one rule; `false` if it was already gone. */
  remove(id: string): boolean {
    const before = this.#rules.length
    this.#rules = this.#rules.filter((rule) => rule.id !== id)
    return this.#rules.length < before
  }

  /** Removes every rule and releases the hung requests. */
  clear(): void {
    this.#rules = []
    this.releaseHung()
  }

  /** Lets every hung request go on to its normal answer. */
  releaseHung(): void {
    for (const release of this.#hung) release()
  }

  /** Applies the matching rules to a request: the faulty response, or `undefined` to go on. */
  async apply(
    endpoint: Endpoint | undefined,
    c: Context<EmulatorEnv>
  ): Promise<Response | undefined> {
    for (const rule of [...this.#rules]) {
      if ((rule.endpoint !== 'any' && rule.endpoint !== endpoint) || !this.#take(rule)) continue
      const { fault } = rule
      if (fault.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms))
      else if (fault.kind === 'hang') return this.#hang(c.req.raw.signal)
      else if (fault.kind === 'reset') return reset(c)
      else return faultyResponse(fault)
    }
    return undefined
  }

  #take(rule: ActiveRule): boolean {
    if (rule.remaining <= 0) return false
    if (--rule.remaining === 0) this.remove(rule.id)
    return true
  }

  /** Waits, without a timer, until released or until the client goes away. */
  #hang(signal: AbortSignal): Promise<undefined> {
    return new Promise((resolve) => {
      const release = () => {
        this.#hung.delete(release)
        signal.removeEventListener('abort', release)
        resolve(undefined)
      }
      if (signal.aborted) return release()
      this.#hung.add(release)
      signal.addEventListener('abort', release)
    })
  }
}

function reset(c: Context<EmulatorEnv>): Response {
  const socket = c.env?.incoming?.socket
  if (!socket) throw new ConnectionReset()
  socket.destroy()
  return new Response(null)
}

function faultyResponse(fault: Exclude<Fault, { kind: 'latency' | 'hang' | 'reset' }>): Response {
  switch (fault.kind) {
    case 'status':
      return stytchError(fault.status, fault.errorType ?? errorTypeFor(fault.status), {
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
      })
    case 'non-json': {
      const status = fault.status ?? 502
      const html = `<!doctype html><title>Error ${status}</title><h1>Error ${status}</h1>`
      return new Response(html, { status, headers: { 'content-type': 'text/html' } })
    }
    case 'truncated-json': {
      const json = JSON.stringify({
        status_code: 200,
        request_id: newRequestId(),
        member_session: {},
      })
      return new Response(json.slice(0, json.length / 2), {
        headers: { 'content-type': 'application/json' },
      })
    }
    case 'wrong-shape':
      return Response.json({ status_code: 200, request_id: newRequestId(), member_session: null })
  }
}
