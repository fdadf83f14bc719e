/**
 * @module
 * One round of a loaded scenario: a fresh server process, priming (each token once, for ayz-auth),
 * a sanity check, a warm-up, then the measured run, with the dependencies' counters read around it.
 */
import type { LoadScenario } from './catalog.ts'
import {
  delta,
  sanityCheck,
  sleep,
  startServer,
  SETTLE_MS,
  type CounterDelta,
  type RunContext,
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
    await sanityCheck(server.url, tokens[0] ?? '', carrier, scenario.expect, scenario.id)
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
    }
  } finally {
    await server.stop()
  }
}
