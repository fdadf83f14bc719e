/**
 * @module
 * What a scenario runs with: settings, the fixture and client processes, the load generator, the
 * pre-made tokens, and starting a server under test.
 */
import { once } from 'node:events'
import { get, type IncomingHttpHeaders } from 'node:http'
import { tokenHeaders, type Carrier } from '../carriers.ts'
import { forkTs, stopChild } from '../children.ts'
import type { ExactClientApi } from '../clients/exact-api.ts'
import type { Counters, FixtureApi, FixtureInfo } from '../fixtures/api.ts'
import type { LoadGenerator } from '../load.ts'
import type { Settings } from '../options.ts'
import type { Pinning } from '../pinning.ts'
import type { RpcClient } from '../rpc.ts'
import { HEALTH_PATH } from '../server/common.ts'
import type { AppSpec, MeBody, ServerSpec } from '../server/spec.ts'
import { NotAvailable } from '../not-available.ts'
import type { TokenSet } from './catalog.ts'
import { sum } from '../stats.ts'

/** Everything a scenario needs. */
export interface RunContext {
  readonly settings: Settings
  readonly fixtures: RpcClient<FixtureApi>
  readonly info: FixtureInfo
  readonly client: RpcClient<ExactClientApi>
  readonly load: LoadGenerator
  /** Pinned mode's CPUs; `undefined` when every process may run anywhere. */
  readonly pinning: Pinning | undefined
  readonly tokens: Readonly<Record<TokenSet, readonly string[]>>
  /** Progress output (stderr). */
  readonly log: (line: string) => void
}

/** A running server under test. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, where every route of its app is served. */
  readonly origin: string
  /** CPU time the server process has used so far (user + system, all threads), in µs. */
  cpuMicros(): Promise<number>
  /** Spans the server's OpenTelemetry SDK has seen end so far; `undefined` without telemetry. */
  spansEnded(): Promise<number | undefined>
  stop(): Promise<void>
}

/** Pause after a load run so in-flight upstream calls land in the right window. */
export const SETTLE_MS = 250

/**
 * Starts `app` in a new server-under-test process and waits until it answers `/health`. With
 * `cpu` (pinned mode), the process runs on that CPU alone, which it confirms when ready. Throws
 * {@link NotAvailable} when the app needs what the build or the installed packages lack.
 *
 * @example
 * ```ts
 * const server = await startServer({ kind: 'baseline' }, context.info, context.pinning?.server)
 * ```
 */
export async function startServer(
  app: AppSpec,
  fixtures: FixtureInfo,
  cpu?: number
): Promise<RunningServer> {
  const spec: ServerSpec = { app, fixtures }
  const child = forkTs(
    new URL('../server/process.ts', import.meta.url),
    [JSON.stringify(spec)],
    cpu === undefined ? {} : { cpu }
  )
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`server under test exited early (${String(signal ?? code)})`)
  })
  const ready = new Promise<{ port: number; cpus: unknown } | { unavailable: string }>(
    (resolve) => {
      child.on('message', (message: unknown) => {
        const reply = message as { ready?: unknown; cpus?: unknown; unavailable?: unknown } | null
        if (typeof reply?.ready === 'number') resolve({ port: reply.ready, cpus: reply.cpus })
        if (typeof reply?.unavailable === 'string') resolve({ unavailable: reply.unavailable })
      })
    }
  )
  const started = await Promise.race([ready, exited])
  exited.catch(() => {})
  if ('unavailable' in started) {
    await stopChild(child)
    throw new NotAvailable(started.unavailable)
  }
  const { port, cpus } = started
  if (cpu !== undefined && cpus !== undefined && cpus !== String(cpu)) {
    await stopChild(child)
    throw new Error(`server under test was to run on CPU ${cpu}, runs on ${String(cpus)}`)
  }
  const origin = `http://127.0.0.1:${port}`
  await request(`${origin}${HEALTH_PATH}`)
  let asked = 0
  /** Sends `{ [question]: id }` and resolves to the reply carrying that id. */
  const ask = (question: 'cpu' | 'spans'): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const id = ++asked
      const onMessage = (message: unknown): void => {
        const reply = message as Record<string, unknown> | null
        if (reply?.[question] !== id) return
        child.off('message', onMessage)
        resolve(reply)
      }
      child.on('message', onMessage)
      child.send({ [question]: id })
    })
  const cpuMicros = async (): Promise<number> => {
    const { micros } = await ask('cpu')
    return typeof micros === 'number' ? micros : Number.NaN
  }
  const spansEnded = async (): Promise<number | undefined> => {
    const { ended } = await ask('spans')
    return typeof ended === 'number' ? ended : undefined
  }
  return {
    origin,
    cpuMicros,
    spansEnded,
    stop: () => stopChild(child),
  }
}

/**
 * One request on its own connection (not the load's): the status, the headers and the JSON body.
 *
 * @example
 * ```ts
 * const { status, body } = await request(url, token, 'session-cookie')
 * ```
 */
export function request(
  url: string,
  token?: string,
  carrier: Carrier = 'bearer'
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { agent: false, headers: token ? tokenHeaders(carrier, token) : {} },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => {
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        })
      }
    )
    req.on('error', reject)
  })
}

/**
 * Checks that the server answers a token as the scenario expects, so a misconfiguration (every
 * request a fast 401) cannot pass for speed; resolves to the answer's headers.
 *
 * @example
 * ```ts
 * await sanityCheck(`${server.origin}${PROTECTED_PATH}`, token, 'bearer', (body) => body.member !== null, 'l1')
 * ```
 */
export async function sanityCheck(
  url: string,
  token: string,
  carrier: Carrier,
  expect: (body: MeBody) => boolean,
  id: string
): Promise<IncomingHttpHeaders> {
  const { status, headers, body } = await request(url, token, carrier)
  if (status !== 200 || typeof body !== 'object' || body === null || !expect(body as MeBody)) {
    throw new Error(`${id}: unexpected answer before loading: ${status} ${JSON.stringify(body)}`)
  }
  return headers
}

/** What a measurement cost the dependencies (counter differences). */
export type CounterDelta = Counters

/**
 * `after − before`, field by field.
 *
 * @example
 * ```ts
 * const cost = delta(before, await fixtures.call('counters'))
 * ```
 */
export function delta(before: Counters, after: Counters): CounterDelta {
  return {
    stytchAuthenticate: after.stytchAuthenticate - before.stytchAuthenticate,
    stytchJwks: after.stytchJwks - before.stytchJwks,
    stytchTotal: after.stytchTotal - before.stytchTotal,
    mongoQueries: after.mongoQueries - before.mongoQueries,
    redisGets: after.redisGets - before.redisGets,
    upstashRequests: after.upstashRequests - before.upstashRequests,
  }
}

/**
 * The counters of several measurements added up, field by field.
 *
 * @example
 * ```ts
 * const cost = summed(slices.map((slice) => slice.calls))
 * ```
 */
export function summed(deltas: readonly CounterDelta[]): CounterDelta {
  const total = (of: (counters: CounterDelta) => number): number => sum(deltas.map(of))
  return {
    stytchAuthenticate: total((c) => c.stytchAuthenticate),
    stytchJwks: total((c) => c.stytchJwks),
    stytchTotal: total((c) => c.stytchTotal),
    mongoQueries: total((c) => c.mongoQueries),
    redisGets: total((c) => c.redisGets),
    upstashRequests: total((c) => c.upstashRequests),
  }
}

/**
 * Resolves after `ms`.
 *
 * @example
 * ```ts
 * await sleep(SETTLE_MS)
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
