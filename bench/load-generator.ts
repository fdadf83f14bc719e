/**
 * @module
 * The load generator process: autocannon keeping N keep-alive connections busy for a fixed time,
 * every request carrying the next token of the rotation (consecutive requests, whichever
 * connection sends them, carry different tokens), as the scenario's carrier puts it. Percentiles
 * come from every response's own time (autocannon's histogram keeps whole ms).
 */
import autocannon from 'autocannon'
import { answerCommands } from './processes.ts'
import { percentile } from './record.ts'
import { tokenHeader, type Carrier, type TokenSet } from './spec.ts'

/** A fixed-concurrency, fixed-duration load on one URL, rotating over a set of tokens. */
export type LoadOptions = {
  url: string
  tokens: TokenSet
  carrier: Carrier
  connections: number
  seconds: number
}

/**
 * What a load measured: requests, time, percentiles, socket errors, timeouts and non-2xx answers
 * (`failures`), and this process's CPU time per request in µs (did the generator set the pace?).
 */
export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly failures: number
  readonly generatorMicrosPerRequest: number
}

/** Each token set, with its tokens' headers, built once per carrier. */
const tokenSets = new Map<TokenSet, { tokens: readonly string[]; headers: HeadersByCarrier }>()
type HeadersByCarrier = Map<Carrier, readonly Record<string, string>[]>

const commands = {
  /** Keeps `tokens` for the loads that rotate over set `name`, in place of the set's old ones. */
  setTokens: (name: TokenSet, tokens: string[]) =>
    void tokenSets.set(name, { tokens, headers: new Map() }),
  /** Runs one load and reports it. */
  run({ url, tokens, carrier, connections, seconds }: LoadOptions): Promise<LoadResult> {
    const set = tokenSets.get(tokens) ?? { tokens: [], headers: new Map() }
    const headers = set.headers.get(carrier) ?? set.tokens.map((t) => tokenHeader(carrier, t))
    set.headers.set(carrier, headers)
    let next = 0
    const header = (req: autocannon.RequestParams) => ({
      ...req,
      headers: headers[next++ % headers.length],
    })
    const { pathname: path, origin } = new URL(url)
    const latencies: number[] = []
    const cpu = process.cpuUsage()
    const requests = [{ method: 'GET', path, setupRequest: header }]
    const options = { url: origin, connections, duration: seconds, timeout: 10, requests }
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, result: autocannon.Result) => {
        if (error) return reject(error)
        const sorted = Float64Array.from(latencies).sort()
        const used = process.cpuUsage(cpu)
        const [p50Ms = NaN, p90Ms = NaN, p99Ms = NaN] = [50, 90, 99].map((p) =>
          percentile(sorted, p)
        )
        resolve({
          ...{ requests: result.requests.total, seconds: result.duration, p50Ms, p90Ms, p99Ms },
          failures: result.errors + result.timeouts + result.non2xx,
          generatorMicrosPerRequest: (used.user + used.system) / Math.max(1, latencies.length),
        })
      }
      autocannon(options, done).on('response', (_client, _status, _bytes, ms) => latencies.push(ms))
    })
  },
}

/** The commands the orchestrator calls. */
export type LoadCommands = typeof commands

answerCommands(commands)
process.send?.({ ready: true })
