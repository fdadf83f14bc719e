/**
 * What the Auth0 tests share: a fetch that records where it went, an attacker's server that counts
 * who calls it, and Auth0's own resource-server verifier (express-oauth2-jwt-bearer) as an oracle.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { auth, type AuthOptions } from 'express-oauth2-jwt-bearer'

/** The global `fetch`, recording every URL it is asked for. */
export function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = []
  return {
    urls,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input))
      return fetch(input, init)
    },
  }
}

/** A server on the attacker's side: it answers anything with `body` and counts the requests. */
export interface AttackerServer {
  readonly url: string
  readonly requests: string[]
  close(): Promise<void>
}

/** Starts an {@link AttackerServer} on a free port of 127.0.0.1. */
export async function startAttackerServer(body: unknown): Promise<AttackerServer> {
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(request.url ?? '')
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify(body))
  })
  const url = await listen(server)
  return { url, requests, close: () => close(server) }
}

/**
 * express-oauth2-jwt-bearer behind a few lines of Express: `accepts(token)` is whether a request
 * carrying it as a bearer token reaches the handler (200) or is refused (401). `reconfigure()`
 * puts a fresh `auth()` in place (an empty key cache), as a restarted server would have.
 */
export interface Oracle {
  accepts(token: string): Promise<boolean>
  reconfigure(options: AuthOptions): void
  close(): Promise<void>
}

/** Starts an {@link Oracle} configured with `options`, on a free port of 127.0.0.1. */
export async function startOracle(options: AuthOptions): Promise<Oracle> {
  let verifier: RequestHandler = auth(options)
  const app = express()
  app.use((request, response, next) => verifier(request, response, next))
  app.get('/', (request, response) => {
    response.json({ sub: request.auth?.payload.sub })
  })
  const refusal: ErrorRequestHandler = (error: { status?: number }, _request, response, _next) => {
    response.status(error.status ?? 500).json({})
  }
  app.use(refusal)
  const server = createServer(app)
  const url = await listen(server)
  return {
    async accepts(token) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      await response.body?.cancel()
      if (response.status === 200 || response.status === 401) return response.status === 200
      throw new Error(`The oracle answered ${response.status}`)
    },
    reconfigure(next) {
      verifier = auth(next)
    },
    close: () => close(server),
  }
}

/** Runs `task` over `items` with at most `concurrency` at a time, results in order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let nextIndex = 0
  const worker = async () => {
    while (nextIndex < items.length) {
      const index = nextIndex++
      results[index] = await task(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return results
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve(`http://127.0.0.1:${port}`)
    })
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
