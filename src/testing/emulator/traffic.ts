/**
 * @module
 * Faults and counters: each API request is counted, delayed and faulted by one gate middleware.
 */
import type { MiddlewareHandler } from 'hono'
import { FaultRules, type EmulatorEnv, type Endpoint } from './faults.ts'

/**
 * How many requests reached each API endpoint (named as in {@link Endpoint}), faulted or not;
 * `total` counts every request under `/v1/` and `/.well-known/`, unknown paths included.
 *
 * @example
 * expect(emulator.calls).toMatchObject({ authenticate: 1, policy: 1, token: 0, total: 2 })
 */
export interface EmulatorCalls extends Record<Endpoint, number> {
  total: number
}

/**
 * What reaches the emulated API: the request counts and the fault rules, which
 * {@link Traffic.gate} applies, after the configured latency, to each request under `/v1/` and
 * `/.well-known/`.
 *
 * @example
 * const traffic = new Traffic(20)
 * app.use('/v1/*', traffic.gate())
 * traffic.faults.add({ kind: 'status', status: 503 }, { times: 1 })
 */
export class Traffic {
  readonly faults: FaultRules = new FaultRules()
  readonly #calls: EmulatorCalls = zeroCalls()
  readonly #latencyMs: number

  constructor(latencyMs: number) {
    this.#latencyMs = latencyMs
  }

  /** A snapshot of the request counts. */
  get calls(): EmulatorCalls {
    return { ...this.#calls }
  }

  /** Sets every request count back to zero. */
  resetCalls(): void {
    Object.assign(this.#calls, zeroCalls())
  }

  /** Middleware that counts a request, waits the latency, then faults it or lets it go on. */
  gate(): MiddlewareHandler<EmulatorEnv> {
    return async (c, next) => {
      const endpoint = endpointOf(c.req.path)
      this.#calls.total++
      if (endpoint) this.#calls[endpoint]++
      if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs))
      return (await this.faults.apply(endpoint, c)) ?? next()
    }
  }
}

function endpointOf(path: string): Endpoint | undefined {
  if (path === '/v1/b2b/sessions/authenticate') return 'authenticate'
  if (path === '/v1/b2b/sessions/revoke') return 'revoke'
  if (path.startsWith('/v1/b2b/sessions/jwks/')) return 'jwks'
  if (path === '/v1/b2b/rbac/policy') return 'policy'
  if (path.startsWith('/v1/b2b/rbac/organizations/')) return 'orgPolicy'
  const oauth2 = /^\/v1\/public\/[^/]+\/oauth2\/(token|introspect)$/.exec(path)?.[1]
  if (oauth2 === 'token' || oauth2 === 'introspect') return oauth2
  const metadata = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']
  return metadata.includes(path) ? 'metadata' : undefined
}

function zeroCalls(): EmulatorCalls {
  return {
    authenticate: 0,
    revoke: 0,
    jwks: 0,
    policy: 0,
    orgPolicy: 0,
    token: 0,
    introspect: 0,
    metadata: 0,
    total: 0,
  }
}
