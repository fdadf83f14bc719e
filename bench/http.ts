/**
 * @module
 * Requests with exact counts, sent from the orchestrator where a duration-based load generator
 * cannot promise them: each token once (priming, cold scenarios), or one token on many
 * connections at once (the stampede). Every request is timed here.
 */
import { Agent, request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { percentile } from './record.ts'
import { tokenHeader, type Carrier } from './spec.ts'

/** What a fixed set of requests gave; `statuses` counts answers by HTTP status (`error`: none). */
export type ExactResult = {
  requests: number
  rps: number
  p50Ms: number
  p99Ms: number
  statuses: Record<string, number>
}

/** `GET url` on `via` (an agent's connection, or a socket of its own); resolves to the status. */
function statusOf(url: string, via: Agent | Socket, headers = {}): Promise<string> {
  return new Promise((resolve) => {
    const connection = via instanceof Agent ? { agent: via } : { createConnection: () => via }
    const req = request(url, { ...connection, headers })
    req.once('error', () => resolve('error')).end()
    req.once('response', (res) => res.resume().once('end', () => resolve(String(res.statusCode))))
  })
}

/** Times `count` requests, `concurrency` in flight, request `index` sent by `send`. */
async function timed(
  count: number,
  concurrency: number,
  send: (index: number, worker: number) => Promise<string>
): Promise<ExactResult> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let next = 0
  const started = performance.now()
  const worker = async (id: number): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const sent = performance.now()
      const status = await send(index, id)
      latencies.push(performance.now() - sent)
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)))
  const rps = count / ((performance.now() - started) / 1000)
  latencies.sort((a, b) => a - b)
  const [p50Ms, p99Ms] = [percentile(latencies, 50), percentile(latencies, 99)]
  return { requests: count, rps, p50Ms, p99Ms, statuses }
}

/**
 * `GET url` once per token, `concurrency` requests in flight on as many keep-alive connections
 * (opened before the clock starts).
 */
export async function burst(
  url: string,
  tokens: readonly string[],
  concurrency: number,
  carrier: Carrier = 'bearer'
): Promise<ExactResult> {
  const size = Math.min(concurrency, tokens.length)
  const agents = Array.from({ length: size }, () => new Agent({ keepAlive: true, maxSockets: 1 }))
  await Promise.all(agents.map((agent) => statusOf(new URL('/health', url).href, agent)))
  const result = await timed(tokens.length, size, (index, worker) =>
    statusOf(url, agents[worker] ?? new Agent(), tokenHeader(carrier, tokens[index] ?? ''))
  )
  for (const agent of agents) agent.destroy()
  return result
}

/**
 * `count` requests for one token, all sent at once, each on its own connection (all connected,
 * 100 at a time, before the first is sent).
 */
export async function stampede(url: string, token: string, count: number): Promise<ExactResult> {
  const { hostname: host, port } = new URL(url)
  const sockets: Socket[] = []
  const opened = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port: Number(port), host, noDelay: true })
      socket.once('connect', () => resolve(socket)).once('error', reject)
    })
  try {
    while (sockets.length < count) {
      const batch = Array.from({ length: Math.min(100, count - sockets.length) }, opened)
      sockets.push(...(await Promise.all(batch)))
    }
    const headers = tokenHeader('bearer', token)
    return await timed(count, count, (i) => statusOf(url, sockets[i] ?? new Agent(), headers))
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}
