/**
 * @module
 * Command-line settings of `npm run bench`: full mode (≥ 3 alternating rounds, about 9 minutes on
 * 2 cores) or `--quick` (one short round, about 2 minutes), and overrides for experiments.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from './children.ts'
import type { LoadGeneratorChoice } from './load.ts'
import type { PinChoice } from './pinning.ts'

/** Everything a run is parameterized by. */
export interface Settings {
  readonly mode: 'quick' | 'full'
  /** Rounds; scenarios alternate order from one round to the next. */
  readonly rounds: number
  /** Seconds of load before each measurement (after priming). */
  readonly warmupSeconds: number
  /** Seconds each loaded measurement lasts. */
  readonly durationSeconds: number
  /** Seconds each one-connection latency probe lasts. */
  readonly probeSeconds: number
  /** Connections of the loaded scenarios (and concurrency of the cold ones). */
  readonly connections: number
  /** wrk threads (1 in pinned mode: the load has one CPU). */
  readonly threads: number
  /** Pinned mode: `--pin`, `--no-pin`, or `auto` (pinned in full mode on 2 CPUs or more). */
  readonly pin: PinChoice
  /** `--cores S,L`: the server's CPU and the load's (implies `--pin`). */
  readonly cores: readonly [server: number, load: number] | undefined
  /** Distinct sessions (and JWTs) the cache-hit scenarios rotate over. */
  readonly hotTokens: number
  /** New tokens sent once each in a cold measurement (per round and server). */
  readonly coldTokens: number
  /**
   * Requests in flight in a cold measurement. Lower than `connections`: every request is a Stytch
   * call, and the emulator (which signs a JWT per call) saturates a core near 700 calls/s, so at 50
   * in flight its queueing, not the library, would set the latency being compared.
   */
  readonly coldConcurrency: number
  /** New tokens sent before a cold measurement to warm the server up. */
  readonly coldWarmupTokens: number
  /** Concurrent requests for one new token in a stampede. */
  readonly stampede: number
  /** Distinct tokens authenticated in the memory measurement. */
  readonly heapTokens: number
  /** Latency of the Stytch emulator, in ms. */
  readonly stytchLatencyMs: number
  readonly load: LoadGeneratorChoice
  /** Scenario ids to run (all when empty). */
  readonly only: readonly string[]
  /** Where the markdown results go. */
  readonly out: string
  /** Also replace the README's `<!-- bench:start -->…<!-- bench:end -->` block. */
  readonly readme: boolean
}

const USAGE = `npm run bench [-- options]

  --quick              one short round (about 2 minutes); default: full (3 rounds, about 9 minutes)
  --rounds N           rounds (scenarios alternate order each round)
  --duration S         whole seconds per loaded measurement, taken in 1-s slices interleaved
                       with every other scenario's
  --warmup S           whole seconds of warm-up load before the measurements
  --connections C      connections / concurrency (default 50)
  --latency MS         Stytch emulator latency (default 50)
  --load wrk|autocannon  force a load generator (default: wrk when installed)
  --pin                pinned mode: the server under test on one CPU, wrk and the dependencies
                       on another (taskset); the default in full mode on 2 CPUs or more
  --no-pin             every process on any CPU (the default in quick mode)
  --cores S,L          pinned mode on these CPUs: S for the server, L for the rest
  --only a,b,...       run only these scenario ids (see bench/scenarios/catalog.ts; "heap" for memory)
  --out FILE           results file (default bench/results.md, quick: bench/results-quick.md)
  --readme             also write the table into README.md between the bench markers
  --help`

/**
 * Settings from `argv` (the arguments after `npm run bench --`).
 *
 * @example
 * ```ts
 * const settings = parseSettings(['--quick'])
 * ```
 */
export function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      latency: { type: 'string' },
      load: { type: 'string', default: 'auto' },
      only: { type: 'string' },
      out: { type: 'string' },
      readme: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      cores: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const quick = values.quick === true
  const number = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback
    const parsed = Number(value)
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`--${name} must be a positive number, got ${value}`)
    return parsed
  }
  // wrk takes whole seconds, and a measurement is taken in 1-s slices.
  const seconds = (value: string | undefined, fallback: number, name: string): number => {
    const parsed = number(value, fallback, name)
    if (!Number.isInteger(parsed)) throw new Error(`--${name} must be whole seconds, got ${value}`)
    return parsed
  }
  const load = values.load
  if (load !== 'auto' && load !== 'wrk' && load !== 'autocannon')
    throw new Error(`--load must be wrk or autocannon, got ${load}`)
  if (values.pin && values['no-pin']) throw new Error('--pin and --no-pin contradict each other')
  const cores = values.cores?.split(',').map((cpu) => Number(cpu.trim()))
  if (cores && (cores.length !== 2 || !cores.every((cpu) => Number.isInteger(cpu) && cpu >= 0)))
    throw new Error(`--cores must be two CPU numbers, server first (e.g. 1,0), got ${values.cores}`)
  if (cores && values['no-pin']) throw new Error('--cores and --no-pin contradict each other')
  return {
    mode: quick ? 'quick' : 'full',
    rounds: Math.round(number(values.rounds, quick ? 1 : 3, 'rounds')),
    warmupSeconds: seconds(values.warmup, quick ? 1 : 2, 'warmup'),
    durationSeconds: seconds(values.duration, quick ? 2 : 6, 'duration'),
    probeSeconds: quick ? 2 : 3,
    connections: Math.round(number(values.connections, 50, 'connections')),
    threads: 2,
    pin: values.pin || cores ? 'on' : values['no-pin'] ? 'off' : 'auto',
    cores: cores ? [cores[0] ?? 0, cores[1] ?? 0] : undefined,
    hotTokens: 1000,
    coldTokens: quick ? 200 : 500,
    coldConcurrency: 10,
    coldWarmupTokens: quick ? 100 : 200,
    stampede: 1000,
    heapTokens: 100_000,
    stytchLatencyMs: number(values.latency, 50, 'latency'),
    load,
    only: values.only
      ? values.only
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean)
      : [],
    out: values.out ?? join(ROOT, 'bench', quick ? 'results-quick.md' : 'results.md'),
    readme: values.readme === true,
  }
}
