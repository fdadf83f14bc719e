/**
 * @module
 * The fallback load generator (when wrk is not installed): autocannon in its own process, rotating
 * tokens per request like the wrk script does.
 */
import autocannon from 'autocannon'
import { tokenHeaders } from '../carriers.ts'
import { serveRpc } from '../rpc.ts'
import type { AutocannonApi } from './load-api.ts'

const api: AutocannonApi = {
  async run(options) {
    const { pathname, origin } = new URL(options.url)
    let next = 0
    const result = await autocannon({
      url: origin,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          path: pathname,
          setupRequest: (request) => {
            const token = options.tokens[next++ % options.tokens.length] ?? ''
            return {
              ...request,
              headers: { ...request.headers, ...tokenHeaders(options.carrier, token) },
            }
          },
        },
      ],
    })
    return {
      requests: result.requests.total,
      durationSeconds: result.duration,
      rps: result.requests.total / result.duration,
      p50Ms: result.latency.p50,
      p90Ms: result.latency.p90,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    }
  },
}

serveRpc(api)
process.send?.({ ready: true })
