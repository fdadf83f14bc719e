/**
 * @module
 * What a run measured ({@link RunRecord}) and how two scenarios are compared: slice by slice
 * within a pass (slices of one pass are seconds apart, so a drift in the machine's speed reaches
 * both), the median over the passes per round, the median and range over the rounds in the text.
 */
import { baselineOf, type Scenario } from './catalog.ts'
import type { ExactResult } from './http.ts'
import type { Settings } from './options.ts'
import type { LoadResult } from './load-generator.ts'
import type { Counters } from './spec.ts'

/**
 * One 1-s slice of a loaded scenario, taken in pass `pass` of its round: throughput, latency,
 * socket errors, timeouts and non-2xx answers (`failures`), the server's CPU time (µs), the load
 * generator's per request, what it cost the dependencies, spans ended (telemetry apps).
 */
export interface Slice extends LoadResult {
  readonly pass: number
  readonly rps: number
  readonly cpuMicros: number
  readonly calls: Counters
  readonly spans?: number
}

/** A cold scenario's part: its requests, and the Stytch calls they made. */
export type ColdPart = { readonly result: ExactResult; readonly stytchCalls: number }
/** A cold scenario's round: N new tokens each once, then the stampede. */
export type ColdSample = { readonly distinct: ColdPart; readonly stampede: ColdPart }
/** Heap used after full GC once `tokens` distinct tokens were authenticated. */
export type HeapCheckpoint = { readonly tokens: number; readonly heapUsedBytes: number }

/**
 * Everything a run measured, and how: the machine, the placement of the processes, the builds
 * (`compareBuild`: `--compare`'s), each loaded scenario's slices by round, each cold scenario's
 * rounds, the memory.
 */
export interface RunRecord {
  readonly settings: Settings
  readonly scenarios: readonly Scenario[]
  readonly machine: string
  readonly placement: string
  readonly build: string
  readonly compareBuild: string | undefined
  readonly startedAt: Date
  readonly elapsedSeconds: number
  readonly loadAverage: readonly [start: number, end: number]
  readonly load: ReadonlyMap<string, readonly (readonly Slice[])[]>
  readonly cold: ReadonlyMap<string, readonly ColdSample[]>
  readonly heap: { readonly checkpoints: HeapCheckpoint[]; readonly failures: number } | undefined
  /** Steps that failed, one line each (the run went on without them). */
  readonly failures: readonly string[]
  /** Scenarios the build or the packages cannot run yet: why. */
  readonly unavailable: ReadonlyMap<string, string>
}

/**
 * The median (`NaN` when empty).
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

/**
 * The `p`-th percentile (nearest rank) of ascending `sorted`.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

/** A round of a scenario: its slices joined. */
export type Summary = ReturnType<typeof summarize>

/**
 * The slices of a round joined: throughput the mean of the slices' (they last equally long),
 * percentiles the median of theirs, counts summed, CPU per request over all requests.
 */
export function summarize(slices: readonly Slice[]) {
  const total = (of: (slice: Slice) => number): number => slices.reduce((t, s) => t + of(s), 0)
  const requests = total((s) => s.requests)
  const spans = slices.every((s) => s.spans !== undefined) ? total((s) => s.spans ?? 0) : undefined
  return {
    rps: total((s) => s.rps) / slices.length,
    p50Ms: median(slices.map((s) => s.p50Ms)),
    p90Ms: median(slices.map((s) => s.p90Ms)),
    p99Ms: median(slices.map((s) => s.p99Ms)),
    requests,
    failures: total((s) => s.failures),
    cpuMicros: total((s) => s.cpuMicros),
    cpuMicrosPerRequest: total((s) => s.cpuMicros) / requests,
    // Share of a CPU the server used while loaded.
    serverBusy: total((s) => s.cpuMicros) / (total((s) => s.seconds) * 1e6),
    generatorMicrosPerRequest: total((s) => s.generatorMicrosPerRequest * s.requests) / requests,
    stytchCalls: total((s) => s.calls.stytchCalls),
    mongoQueries: total((s) => s.calls.mongoQueries),
    redisGets: total((s) => s.calls.redisGets),
    upstashRequests: total((s) => s.calls.upstashRequests),
    spansPerRequest: spans === undefined ? undefined : spans / requests,
  }
}

/** One reading per scenario of `Ids`: a slice, or a round's summary. */
type Each<Ids extends readonly string[]> = { readonly [K in keyof Ids]: Reading }
/** What a comparison reads of a slice or a round. */
type Reading = Pick<Summary, 'rps' | 'requests' | 'cpuMicros' | 'p50Ms'>

/**
 * Per round: the median over its passes of `combine` of the slices of `ids` taken in that pass;
 * with `byPass` false, `combine` of their whole rounds.
 */
export function compare<const Ids extends readonly string[]>(
  record: RunRecord,
  ids: Ids,
  combine: (readings: Each<Ids>) => number,
  byPass = true
): number[] {
  const rounds = ids.map((id) => record.load.get(id) ?? [])
  return (rounds[0] ?? []).flatMap((first, round) => {
    const inRound = rounds.map((samples) => samples[round] ?? [])
    const inPass = (pass: number) => inRound.map((slices) => slices.find((s) => s.pass === pass))
    const groups = byPass ? first.map(({ pass }) => inPass(pass)) : [inRound.map(summarize)]
    const values = groups.flatMap((group) => {
      const value = group.every((r) => r?.requests) ? combine(group as unknown as Each<Ids>) : NaN
      return Number.isFinite(value) ? [value] : []
    })
    return values.length > 0 ? [median(values)] : []
  })
}

/** What a comparison is of: throughput, or CPU per request (the reference's over the scenario's). */
type Measure = 'rps' | 'cpu'

const ratioOf = (a: Reading, b: Reading, by: Measure): number =>
  by === 'rps' ? a.rps / b.rps : (b.cpuMicros / b.requests) * (a.requests / a.cpuMicros)

/**
 * Per-round ratios of scenario `id` to `reference` (default: its baseline), pass by pass.
 */
export function ratios(record: RunRecord, id: string, ref?: string, by: Measure = 'rps') {
  return compare(record, [id, ref ?? baselineOf(id)], ([a, b]) => ratioOf(a, b, by))
}

/**
 * Per-round `id × its baseline − ref × its baseline`, pass by pass (× baseline units).
 */
export function differences(record: RunRecord, id: string, ref: string, by: Measure = 'rps') {
  const ids = [id, baselineOf(id), ref, baselineOf(ref)] as const
  return compare(record, ids, ([a, b, c, d]) => ratioOf(a, b, by) - ratioOf(c, d, by))
}

/** A count with thousands separators (`—` when not a number). */
export const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—'
/** A number with `digits` decimals (`—` when not a number). */
export const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '—'
/** A number with its sign (a typographic minus). */
export const signed = (value: number, digits: number): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`

/**
 * Per-round values as the tables print them: the median, and with several rounds their range;
 * `×` for ratios and differences of ratios, or another unit.
 */
export function rangeText(values: readonly number[], unit = '×', signedDigits?: number): string {
  if (values.length === 0) return '—'
  const show = (v: number) => (signedDigits === undefined ? v.toFixed(2) : signed(v, signedDigits))
  const [low, high] = [show(Math.min(...values)), show(Math.max(...values))]
  const range = signedDigits === undefined ? `${low}–${high}` : `${low} to ${high}`
  return `${show(median(values))}${unit}${values.length > 1 ? ` (${range})` : ''}`
}
