/**
 * @module
 * One round of a loaded scenario: a fresh server process, priming (each token once, for ayz-auth),
 * a sanity check, a warm-up, then the measured run, with the dependencies' counters read around it.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { NotAvailable } from '../not-available.ts'
import type { LoadScenario } from './catalog.ts'
import {
  delta,
  sanityCheck,
  sleep,
  startServer,
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
}

/**
 * Runs one round of `scenario`.
 *
 * @example
 * ```ts
 * const sample = await runLoadScenario(SCENARIOS[0], context)
 * ```
 */
export async function runLoadScenario(
  scenario: LoadScenario,
  context: RunContext
): Promise<LoadSample> {
  const { settings, fixtures, client, load, info } = context
  const tokens = context.tokens[scenario.tokens]
  const { carrier } = scenario
  const connections = scenario.probe ? 1 : settings.connections
  const threads = scenario.probe ? 1 : settings.threads
  const server = await startServer(scenario.app, info, context.pinning?.server)
  try {
    if (scenario.prime) {
      // A second pass re-sends every token: cached ones are fast hits, a token whose verification
      // failed (a transient 503 under load) gets verified; it must then be all 200s.
      for (let pass = 1; ; pass++) {
        const primed = await client.call('burst', server.url, tokens, settings.connections, carrier)
        if (primed.statuses['200'] === tokens.length) break
        const answer = `${scenario.id}: priming pass ${pass} answered ${JSON.stringify(primed.statuses)}`
        if (pass === 2) throw new Error(answer)
        context.log(`${answer}; sending every token again`)
      }
    }
    const headers = await sanityCheck(
      server.url,
      tokens[0] ?? '',
      carrier,
      scenario.expect,
      scenario.id
    )
    await checkRequirements(scenario, headers, server)
    const warmupSeconds = scenario.probe
      ? Math.min(1, settings.warmupSeconds)
      : settings.warmupSeconds
    await load.run({
      url: server.url,
      tokens,
      carrier,
      connections,
      threads,
      durationSeconds: warmupSeconds,
    })
    await sleep(SETTLE_MS)
    const before = await fixtures.call('counters')
    const spansBefore = await server.spansEnded()
    const cpuBefore = await server.cpuMicros()
    const durationSeconds = scenario.probe ? settings.probeSeconds : settings.durationSeconds
    const result = await load.run({
      url: server.url,
      tokens,
      carrier,
      connections,
      threads,
      durationSeconds,
    })
    const cpuAfter = await server.cpuMicros()
    const spansAfter = await server.spansEnded()
    await sleep(SETTLE_MS)
    const after = await fixtures.call('counters')
    return {
      rps: result.rps,
      p50Ms: result.p50Ms,
      p90Ms: result.p90Ms,
      p99Ms: result.p99Ms,
      requests: result.requests,
      cpuMicrosPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests),
      failures: result.errors + result.non2xx,
      calls: delta(before, after),
      ...(spansBefore !== undefined && spansAfter !== undefined
        ? { spansPerRequest: (spansAfter - spansBefore) / Math.max(1, result.requests) }
        : {}),
    }
  } finally {
    await server.stop()
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
