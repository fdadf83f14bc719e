/**
 * @module
 * One round of a cold scenario: a fresh server, warmed up with new tokens, then N more new tokens
 * sent once each (every request a cache miss), then a stampede: C requests at once for one new
 * token. Stytch calls are read from the emulator around each part.
 */
import type { ExactResult } from '../clients/exact-api.ts'
import { PROTECTED_PATH } from '../server/common.ts'
import type { ColdScenario } from './catalog.ts'
import {
  delta,
  sleep,
  startServer,
  SETTLE_MS,
  type CounterDelta,
  type RunContext,
} from './context.ts'

/** A measured part of a cold scenario. */
export interface ExactSample {
  readonly result: ExactResult
  readonly calls: CounterDelta
}

/** One round of a cold scenario. */
export interface ColdSample {
  /** N distinct new tokens, each sent once, `coldConcurrency` in flight. */
  readonly distinct: ExactSample
  /** C concurrent requests for one new token. */
  readonly stampede: ExactSample
}

/**
 * Runs one round of `scenario`.
 *
 * @example
 * ```ts
 * const sample = await runColdScenario(scenario, context)
 * ```
 */
export async function runColdScenario(
  scenario: ColdScenario,
  context: RunContext
): Promise<ColdSample> {
  const { settings, fixtures, client, info } = context
  const fresh = await fixtures.call(
    'sessionTokens',
    settings.coldWarmupTokens + settings.coldTokens + 1
  )
  const warm = fresh.slice(0, settings.coldWarmupTokens)
  const measured = fresh.slice(
    settings.coldWarmupTokens,
    settings.coldWarmupTokens + settings.coldTokens
  )
  const stampedeToken = fresh[fresh.length - 1] ?? ''
  const server = await startServer(scenario.app, info, context.pinning?.server)
  const url = `${server.origin}${PROTECTED_PATH}`
  try {
    await client.call('burst', url, warm, settings.coldConcurrency)
    await sleep(SETTLE_MS)
    const measure = async (run: () => Promise<ExactResult>): Promise<ExactSample> => {
      const before = await fixtures.call('counters')
      const result = await run()
      await sleep(SETTLE_MS)
      return { result, calls: delta(before, await fixtures.call('counters')) }
    }
    const distinct = await measure(() =>
      client.call('burst', url, measured, settings.coldConcurrency)
    )
    const stampede = await measure(() =>
      client.call('stampede', url, stampedeToken, settings.stampede)
    )
    return { distinct, stampede }
  } finally {
    await server.stop()
  }
}
