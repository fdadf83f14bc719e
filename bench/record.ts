/**
 * @module
 * What a run measured ({@link RunRecord}), and the per-round comparisons the tables and the targets
 * are made of: throughput (or CPU) ratios to a reference measured in the same round, differences
 * of two such ratios, and how they read (median, per-round range).
 */
import type { HeapResult } from './heap/api.ts'
import type { MachineInfo } from './machine.ts'
import type { Settings } from './options.ts'
import type { Placement } from './pinning.ts'
import { baselineOf, scenarioById } from './scenarios/catalog.ts'
import type { ColdSample } from './scenarios/cold-scenario.ts'
import type { LoadSample } from './scenarios/load-scenario.ts'
import { median } from './stats.ts'

/** Everything a run measured. */
export interface RunRecord {
  readonly settings: Settings
  readonly machine: MachineInfo
  /** Pinned or not, on which CPUs, and why. */
  readonly placement: Placement
  readonly loadGenerator: string
  /** wrk threads, or `undefined` for a one-process generator (autocannon). */
  readonly loadThreads: number | undefined
  /** Which build was measured (commit). */
  readonly build: string
  readonly startedAt: Date
  readonly elapsedSeconds: number
  readonly loadAverage: { readonly start: number; readonly end: number }
  /** Samples by scenario id, indexed by round. */
  readonly load: ReadonlyMap<string, readonly LoadSample[]>
  readonly cold: ReadonlyMap<string, readonly ColdSample[]>
  readonly heap: HeapResult | undefined
  /** Steps that failed, one line each (the run went on without them). */
  readonly failures: readonly string[]
  /** Scenarios the build or the installed packages cannot run yet, by id: why. */
  readonly unavailable: ReadonlyMap<string, string>
}

/**
 * What a comparison is made of: `rps`, throughput over the reference's; `cpu`, the reference's
 * server CPU per request over the scenario's (the throughput ratio a CPU-bound server would reach
 * with a core to itself, steadier when other work competes for the cores).
 */
export type Measure = 'rps' | 'cpu'

/** What a ratio is taken of: a round's sample, or one of its slices. */
type Reading = Pick<LoadSample, 'rps' | 'cpuMicrosPerRequest'>

/** `reading` over `reference` by `measure`. */
function ratioOf(reading: Reading, reference: Reading, measure: Measure): number {
  return measure === 'rps'
    ? reading.rps / reference.rps
    : reference.cpuMicrosPerRequest / reading.cpuMicrosPerRequest
}

/**
 * A round's comparison of several samples: `compare` applied to their slices taken in the same
 * pass, a few seconds apart at most, and the median of that over the passes (a pair of samples
 * measured minutes apart would carry the machine's drift in between); `compare` of the whole
 * samples when they share no pass.
 */
function pairedByPass<const T extends readonly LoadSample[]>(
  samples: T,
  compare: (readings: { readonly [K in keyof T]: Reading }) => number
): number {
  type Readings = { readonly [K in keyof T]: Reading }
  const [first, ...rest] = samples
  const values = (first?.slices ?? []).flatMap((slice) => {
    const readings = rest.map((sample) => sample.slices.find((other) => other.pass === slice.pass))
    return readings.every((reading) => reading !== undefined)
      ? [compare([slice, ...readings] as unknown as Readings)]
      : []
  })
  return values.length > 0 ? median(values) : compare(samples as unknown as Readings)
}

/**
 * Per-round ratios of scenario `id` to scenario `referenceId` (rounds where both ran), each the
 * median of the ratios of their slices taken in the same pass.
 *
 * @example
 * ```ts
 * ratios(record, 'l1', 'baseline') // [0.71, 0.74, 0.70]
 * ```
 */
export function ratios(
  record: RunRecord,
  id: string,
  referenceId: string,
  measure: Measure = 'rps'
): number[] {
  const samples = record.load.get(id) ?? []
  const references = record.load.get(referenceId) ?? []
  const values: number[] = []
  samples.forEach((sample, round) => {
    const reference = references[round]
    if (!reference) return
    values.push(pairedByPass([sample, reference], ([a, b]) => ratioOf(a, b, measure)))
  })
  return values.filter((value) => Number.isFinite(value))
}

/**
 * Per-round ratios of scenario `id` to its matching baseline (the app without auth receiving the
 * same requests; see `baselineOf`).
 *
 * @example
 * ```ts
 * baselineRatios(record, 'jwt-cookie') // vs 'baseline-jwt-cookie'
 * ```
 */
export function baselineRatios(record: RunRecord, id: string, measure: Measure = 'rps'): number[] {
  return ratios(record, id, baselineIdOf(id), measure)
}

/**
 * The id of the baseline scenario `id` is compared with (itself for a baseline).
 *
 * @example
 * ```ts
 * baselineIdOf('jwt') // 'baseline-jwt'
 * ```
 */
export function baselineIdOf(id: string): string {
  const scenario = scenarioById(id)
  return scenario?.type === 'load' ? baselineOf(scenario) : 'baseline'
}

/**
 * Per-round differences `id × its baseline − referenceId × its baseline`, in × baseline units
 * (rounds where all four ran; each the median over the passes of the difference of same-pass
 * slices): e.g. how much of the bare app's throughput reading the token from a cookie costs over
 * reading it from `Authorization`, each against a baseline receiving the same requests.
 *
 * @example
 * ```ts
 * differences(record, 'l1-cookie', 'l1') // [-0.02, 0.01, -0.01]
 * ```
 */
export function differences(
  record: RunRecord,
  id: string,
  referenceId: string,
  measure: Measure = 'rps'
): number[] {
  const samples = record.load.get(id) ?? []
  const values: number[] = []
  samples.forEach((sample, round) => {
    const baseline = record.load.get(baselineIdOf(id))?.[round]
    const reference = record.load.get(referenceId)?.[round]
    const referenceBaseline = record.load.get(baselineIdOf(referenceId))?.[round]
    if (!baseline || !reference || !referenceBaseline) return
    values.push(
      pairedByPass(
        [sample, baseline, reference, referenceBaseline],
        ([a, b, c, d]) => ratioOf(a, b, measure) - ratioOf(c, d, measure)
      )
    )
  })
  return values.filter((value) => Number.isFinite(value))
}

/** A count with thousands separators (`—` when not a number). */
export const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—'
/** A duration in ms with `digits` decimals (`—` when not a number). */
export const ms = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '—'
/** A number with its sign (a typographic minus). */
export const signed = (value: number, digits: number): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`

/**
 * Per-round ratios as the tables print them: the median, and with several rounds their range.
 *
 * @example
 * ```ts
 * ratioText([0.71, 0.74, 0.70]) // '0.71× (0.70–0.74)'
 * ```
 */
export function ratioText(values: readonly number[]): string {
  if (values.length === 0) return '—'
  const text = `${median(values).toFixed(2)}×`
  return values.length > 1
    ? `${text} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
    : text
}

/**
 * Per-round differences as the tables print them: the signed median, and with several rounds
 * their range.
 *
 * @example
 * ```ts
 * differenceText([-0.02, 0.01, -0.01]) // '−0.01× (−0.02 to +0.01)'
 * ```
 */
export function differenceText(values: readonly number[]): string {
  if (values.length === 0) return '—'
  const text = `${signed(median(values), 2)}×`
  return values.length > 1
    ? `${text} (${signed(Math.min(...values), 2)} to ${signed(Math.max(...values), 2)})`
    : text
}

/** The default bound of the in-process cache (entries), which the memory measurement checks. */
export const L1_BOUND = 10_000
