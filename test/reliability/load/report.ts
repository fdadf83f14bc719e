/**
 * The load test's printed report: requests, errors by status (and by kind of request), Stytch
 * calls, latency percentiles and heap before and after.
 */
import type { EmulatorCalls } from '../../../src/testing/index.ts'
import { percentile, type LoadStats } from './driver.ts'
import type { FaultWindow } from './fault-schedule.ts'
import type { LoadProfile } from './profile.ts'

/** Everything the report shows. */
export interface LoadReport {
  readonly profile: LoadProfile
  readonly invalidShare: number
  readonly stats: LoadStats
  readonly recovery: LoadStats
  readonly stytchCalls: EmulatorCalls
  readonly faults: readonly FaultWindow[]
  readonly heapAfterWarmUpMb: number
  readonly heapAtEndMb: number
  readonly handlersReached: number
  readonly unauthenticatedHandled: number
  readonly unhandledRejections: number
}

const number = (value: number) => Math.round(value).toLocaleString('en-US')
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : number(value)} ms`

function statuses(counts: ReadonlyMap<number, number>): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status === 0 ? 'no answer' : status} ×${number(count)}`)
    .join(', ')
}

/**
 * The report as printed lines.
 *
 * @example
 * ```ts
 * console.info(formatLoadReport(report))
 * ```
 */
export function formatLoadReport(report: LoadReport): string {
  const { profile, stats, recovery } = report
  const count = stats.requests
  const errors = new Map([...stats.byStatus].filter(([status]) => status !== 200))
  const faultCounts = new Map<string, number>()
  for (const window of report.faults)
    faultCounts.set(window.fault, (faultCounts.get(window.fault) ?? 0) + 1)
  const lines = [
    `[load test: ${profile.name}] ${(stats.durationMs / 1000).toFixed(1)} s on loopback, ${number(count)} requests (${number(count / (stats.durationMs / 1000))}/s), concurrency ${profile.concurrency}, ${number(profile.sessions)} sessions (${number(profile.sessions * 2)} credentials), ${Math.round(report.invalidShare * 100)} % of requests invalid`,
    `  faults injected and removed: ${[...faultCounts].map(([fault, times]) => `${fault} ×${times}`).join(', ')}`,
    `  statuses: ${statuses(stats.byStatus)}`,
    `  errors by status: ${statuses(errors) || 'none'}`,
    ...[...stats.byKind].map(([kind, counts]) => `    ${kind}: ${statuses(counts)}`),
    `  unexpected answers: ${stats.unexpected}${stats.samples.length ? ` (e.g. ${stats.samples.slice(0, 3).join('; ')})` : ''}`,
    `  Stytch calls: ${number(report.stytchCalls.authenticate)} sessions/authenticate, ${number(report.stytchCalls.jwks)} JWKS`,
    `  latency: p50 ${ms(percentile(stats.latencies, count, 0.5))}, p90 ${ms(percentile(stats.latencies, count, 0.9))}, p99 ${ms(percentile(stats.latencies, count, 0.99))}, max ${ms(percentile(stats.latencies, count, 1))}`,
    `  after the faults: ${number(recovery.requests)} requests, ${statuses(recovery.byStatus)}, p99 ${ms(percentile(recovery.latencies, recovery.requests, 0.99))}`,
    `  heap (after GC): ${report.heapAfterWarmUpMb.toFixed(1)} MB after warm-up, ${report.heapAtEndMb.toFixed(1)} MB at the end (${report.heapAtEndMb >= report.heapAfterWarmUpMb ? '+' : ''}${(report.heapAtEndMb - report.heapAfterWarmUpMb).toFixed(1)} MB)`,
    `  handlers reached: ${number(report.handlersReached)}, by an unauthenticated request: ${report.unauthenticatedHandled}; unhandled rejections: ${report.unhandledRejections}`,
  ]
  return lines.join('\n')
}
