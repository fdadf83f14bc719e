/**
 * @module
 * The exact-count client process: sends each token once (cold scenarios) or one token on many
 * connections at once (stampede), where a duration-based load generator cannot promise either. It
 * runs apart from the server under test and times every request itself (`performance.now()`).
 */
import { Agent, request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tokenHeaders, type Carrier } from '../carriers.ts'
import { HEALTH_PATH } from '../server/common.ts'
import { serveRpc } from '../rpc.ts'
import { percentile } from '../stats.ts'
import type { ExactClientApi, ExactResult } from './exact-api.ts'

/** Connections opened at once while preparing a stampede (the server's accept backlog is 511). */
const CONNECT_BATCH = 100

function summarize(
  latencies: number[],
  statuses: Map<string, number>,
  elapsedMs: number
): ExactResult {
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    elapsedMs,
    rps: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    statuses: Object.fromEntries(statuses),
  }
}

/** Resolves to the response's status once its body has been read, or `error`. */
function finish(response: Promise<IncomingMessage>): Promise<string> {
  return response.then(
    (res) =>
      new Promise<string>((resolve) => {
        res.resume()
        res.once('end', () => resolve(String(res.statusCode)))
        res.once('error', () => resolve('error'))
      }),
    () => 'error'
  )
}

function get(
  url: string,
  options: { agent?: Agent; token?: string; carrier?: Carrier; socket?: Socket }
): Promise<string> {
  return finish(
    new Promise<IncomingMessage>((resolve, reject) => {
      const { socket } = options
      const req = request(url, {
        ...(options.agent ? { agent: options.agent } : {}),
        ...(socket ? { createConnection: () => socket } : {}),
        headers: options.token ? tokenHeaders(options.carrier ?? 'bearer', options.token) : {},
      })
      req.once('response', resolve)
      req.once('error', reject)
      req.end()
    })
  )
}

function connected(port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, noDelay: true })
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

const api: ExactClientApi = {
  async burst(url, tokens, concurrency, carrier = 'bearer') {
    const health = new URL(HEALTH_PATH, url).href
    // One agent per worker, one socket per agent: exactly `concurrency` keep-alive connections.
    const agents = Array.from(
      { length: Math.min(concurrency, tokens.length) },
      () => new Agent({ keepAlive: true, maxSockets: 1 })
    )
    await Promise.all(agents.map((agent) => get(health, { agent })))
    const latencies: number[] = []
    const statuses = new Map<string, number>()
    let next = 0
    const started = performance.now()
    await Promise.all(
      agents.map(async (agent) => {
        for (let index = next++; index < tokens.length; index = next++) {
          const sent = performance.now()
          const status = await get(url, { agent, token: tokens[index] ?? '', carrier })
          latencies.push(performance.now() - sent)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
        }
      })
    )
    const elapsedMs = performance.now() - started
    for (const agent of agents) agent.destroy()
    return summarize(latencies, statuses, elapsedMs)
  },

  async stampede(url, token, count) {
    const { hostname, port } = new URL(url)
    const sockets: Socket[] = []
    try {
      while (sockets.length < count) {
        const batch = Math.min(CONNECT_BATCH, count - sockets.length)
        sockets.push(
          ...(await Promise.all(
            Array.from({ length: batch }, () => connected(Number(port), hostname))
          ))
        )
      }
      const latencies: number[] = []
      const statuses = new Map<string, number>()
      const started = performance.now()
      await Promise.all(
        sockets.map(async (socket) => {
          const sent = performance.now()
          const status = await get(url, { token, socket })
          latencies.push(performance.now() - sent)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
        })
      )
      return summarize(latencies, statuses, performance.now() - started)
    } finally {
      for (const socket of sockets) socket.destroy()
    }
  },
}

serveRpc(api)
process.send?.({ ready: true })
