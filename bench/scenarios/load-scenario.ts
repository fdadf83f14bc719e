/**
 * @module
 * One round of a loaded scenario on the server of its app (started by `run.ts`, shared by the
 * scenarios sending the same tokens to the same app): priming (each token once, for ayz-auth), a sanity check and
 * a warm-up, then the measurement in slices (interleaved by `run.ts` with every other scenario's),
 * the dependencies' counters read around each.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { NotAvailable } from '../not-available.ts'
import { ROUTES } from '../server/common.ts'
import { median, sum } from '../stats.ts'
import type { LoadScenario } from './catalog.ts'
import {
  delta,
  sanityCheck,
  sleep,
  summed,
  SETTLE_MS,
  type CounterDelta,
  type RunContext,
  type RunningServer,
} from './context.ts'

/** One round's measurement of a loaded scenario. */
export interface LoadSample {
  readonly rps: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly requests: number
  /**
   * CPU time of the server process per request during the measurement (all its threads), in µs:
   * what a request costs the server, much less sensitive than throughput to other work on the
   * machine competing for the cores.
   */
  readonly cpuMicrosPerRequest: number
  /** Socket errors, timeouts and non-2xx responses during the measurement. */
  readonly failures: number
  /** What the measured window cost the dependencies (warm-up and priming excluded). */
  readonly calls: CounterDelta
  /** OpenTelemetry spans ended per request in the measured window (telemetry scenarios only). */
  readonly spansPerRequest?: number
  /**
   * Each slice's throughput and CPU per request, by the pass it was taken in, so that a scenario can
   * be compared with another slice by slice, within a pass (see `record.ts`).
   */
  readonly slices: readonly SliceReading[]
}

/** One slice of a measurement: the pass of the round it was taken in, and what it measured. */
export interface SliceReading {
  readonly pass: number
  readonly rps: number
  readonly cpuMicrosPerRequest: number
}

/** A scenario, primed and warmed up on its server, measured a slice at a time. */
export interface PreparedScenario {
  readonly scenario: LoadScenario
  /** How many 1-s slices this scenario is measured in per round (its seconds measured). */
  readonly slices: number
  /** Measures one 1-s slice under load in pass `pass` of the round, the dependencies' counters read around it. */
  measure(pass: number): Promise<LoadSample>
}

/**
 * Prepares `scenario` on `server`, a running server of its app: primes it (each token once, for
 * ayz-auth), checks one answer and warms it up; the measurement is left to the caller, slice by
 * slice, so that the slices of every scenario of a round can be interleaved. The caller starts and
 * stops the server.
 *
 * @example
 * ```ts
 * const server = await startServer(SCENARIOS[0].app, context.info, context.pinning?.server)
 * const prepared = await prepareLoadScenario(SCENARIOS[0], context, server)
 * const slice = await prepared.measure(0)
 * await server.stop()
 * ```
 */
export async function prepareLoadScenario(
  scenario: LoadScenario,
  context: RunContext,
  server: RunningServer
): Promise<PreparedScenario> {
  const { settings, fixtures, client, load } = context
  const tokens = context.tokens[scenario.tokens]
  const { carrier } = scenario
  const connections = scenario.probe ? 1 : settings.connections
  const threads = scenario.probe ? 1 : settings.threads
  const url = `${server.origin}${ROUTES[scenario.route ?? 'plain']}`
  if (scenario.prime) {
    // A second pass re-sends every token: cached ones are fast hits, a token whose verification
    // failed (a transient 503 under load) gets verified; it must then be all 200s.
    for (let pass = 1; ; pass++) {
      const primed = await client.call('burst', url, tokens, settings.connections, carrier)
      if (primed.statuses['200'] === tokens.length) break
      const answer = `${scenario.id}: priming pass ${pass} answered ${JSON.stringify(primed.statuses)}`
      if (pass === 2) throw new Error(answer)
      context.log(`${answer}; sending every token again`)
    }
  }
  const headers = await sanityCheck(url, tokens[0] ?? '', carrier, scenario.expect, scenario.id)
  await checkRequirements(scenario, headers, server)
  const loadFor = (durationSeconds: number) =>
    load.run({ url, tokens, carrier, connections, threads, durationSeconds })
  await loadFor(scenario.probe ? Math.min(1, settings.warmupSeconds) : settings.warmupSeconds)
  await sleep(SETTLE_MS)
  const measure = async (pass: number): Promise<LoadSample> => {
    const before = await fixtures.call('counters')
    const spansBefore = await server.spansEnded()
    const cpuBefore = await server.cpuMicros()
    const result = await loadFor(1)
    const cpuAfter = await server.cpuMicros()
    const spansAfter = await server.spansEnded()
    await sleep(SETTLE_MS)
    const after = await fixtures.call('counters')
    const cpuMicrosPerRequest = (cpuAfter - cpuBefore) / Math.max(1, result.requests)
    return {
      rps: result.rps,
      p50Ms: result.p50Ms,
      p90Ms: result.p90Ms,
      p99Ms: result.p99Ms,
      requests: result.requests,
      cpuMicrosPerRequest,
      failures: result.errors + result.non2xx,
      calls: delta(before, after),
      ...(spansBefore !== undefined && spansAfter !== undefined
        ? { spansPerRequest: (spansAfter - spansBefore) / Math.max(1, result.requests) }
        : {}),
      slices: [{ pass, rps: result.rps, cpuMicrosPerRequest }],
    }
  }
  return {
    scenario,
    slices: scenario.probe ? settings.probeSeconds : settings.durationSeconds,
    measure,
  }
}

/**
 * One round's sample of a scenario from its slices: requests, failures, calls and CPU time
 * summed; throughput the mean of the slices' (they last equally long); latency percentiles the
 * median of the slices'; the slices' readings kept.
 *
 * @example
 * ```ts
 * const sample = joinedSlices([first, second, third])
 * ```
 */
export function joinedSlices(slices: readonly LoadSample[]): LoadSample {
  const total = (of: (slice: LoadSample) => number): number => sum(slices.map(of))
  const requests = total((slice) => slice.requests)
  const perRequest = (of: (slice: LoadSample) => number): number =>
    total((slice) => of(slice) * slice.requests) / Math.max(1, requests)
  const spans = slices.every((slice) => slice.spansPerRequest !== undefined)
  return {
    rps: total((slice) => slice.rps) / Math.max(1, slices.length),
    p50Ms: median(slices.map((slice) => slice.p50Ms)),
    p90Ms: median(slices.map((slice) => slice.p90Ms)),
    p99Ms: median(slices.map((slice) => slice.p99Ms)),
    requests,
    cpuMicrosPerRequest: perRequest((slice) => slice.cpuMicrosPerRequest),
    failures: total((slice) => slice.failures),
    calls: summed(slices.map((slice) => slice.calls)),
    ...(spans ? { spansPerRequest: perRequest((slice) => slice.spansPerRequest ?? 0) } : {}),
    slices: slices.flatMap((slice) => slice.slices),
  }
}

/**
 * Throws {@link NotAvailable} when the primed server does not show what the scenario requires:
 * the build accepted an option it does not implement yet, or ignores it.
 */
async function checkRequirements(
  scenario: LoadScenario,
  headers: IncomingHttpHeaders,
  server: RunningServer
): Promise<void> {
  const { header, spans } = scenario.requires ?? {}
  if (header && headers[header] === undefined)
    throw new NotAvailable(`the built package sends no ${header} header (option ignored)`)
  if (spans && !(await server.spansEnded()))
    throw new NotAvailable('no OpenTelemetry span ended while priming (telemetry ignored)')
}
