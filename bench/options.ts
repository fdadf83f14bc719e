/**
 * @module
 * The command line of `npm run bench`: full mode (3 rounds) or `--quick` (one short round), and
 * overrides.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from './processes.ts'

const USAGE = `npm run bench [-- options]

  --quick            one short round; default: full (3 rounds)
  --rounds N         rounds (the scenario order is reversed every other round)
  --duration S       1-s slices per loaded scenario and round, interleaved with every other's
  --warmup S         seconds of warm-up load per scenario and round
  --connections C    connections of the loaded scenarios (default 50)
  --latency MS       Stytch emulator latency (default 50)
  --only a,b,...     only these scenario ids (bench/catalog.ts; "heap" for memory)
  --dist DIR         the build to measure (default dist/, which npm run bench builds first)
  --compare DIR      also measure this build's hit scenarios (l1, l1-cookie, jwt, jwt-cookie, m2m,
                     l2-redis, entitlements, team-ttl) in the same passes, with new/old ratios
  --pin | --no-pin   the server alone on the last CPU, the rest on the first (default when
                     taskset is installed and 2 CPUs are allowed; --pin insists)
  --out FILE         results (default bench/results.md; quick: bench/results-quick.md)
  --readme           also write the table into README.md between the bench markers`

/** Everything a run is parameterized by. */
export type Settings = ReturnType<typeof parseSettings>

/**
 * Settings from the arguments after `npm run bench --`.
 */
export function parseSettings(argv: readonly string[]) {
  const string = { type: 'string' } as const
  const flag = { type: 'boolean', default: false } as const
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...{ quick: flag, readme: flag, pin: flag, 'no-pin': flag, help: flag, rounds: string },
      ...{ duration: string, warmup: string, connections: string, latency: string, only: string },
      ...{ out: string, dist: string, compare: string },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const quick = values.quick
  const whole = (value: string | undefined, fallback: number, name: string): number => {
    const parsed = value === undefined ? fallback : Number(value)
    if (!Number.isInteger(parsed) || parsed <= 0)
      throw new Error(`--${name} must be a positive whole number, got ${value}`)
    return parsed
  }
  const pin = values['no-pin'] ? 'off' : values.pin ? 'on' : 'auto'
  return {
    mode: quick ? ('quick' as const) : ('full' as const),
    rounds: whole(values.rounds, quick ? 1 : 3, 'rounds'),
    warmupSeconds: whole(values.warmup, quick ? 1 : 2, 'warmup'),
    // 1-s slices per loaded scenario and round; the 1-connection probes take `probeSeconds`.
    durationSeconds: whole(values.duration, quick ? 2 : 6, 'duration'),
    probeSeconds: quick ? 2 : 3,
    connections: whole(values.connections, 50, 'connections'),
    pin: pin as 'off' | 'on' | 'auto',
    // Distinct tokens the cache-hit scenarios rotate over.
    hotTokens: 1000,
    // Cold: new tokens each sent once, so many in flight (each a Stytch call, and the emulator
    // saturates a core), after so many others warmed the server up; then the stampede.
    coldTokens: 500,
    coldConcurrency: 10,
    coldWarmupTokens: quick ? 100 : 200,
    stampede: 1000,
    heapTokens: 100_000,
    stytchLatencyMs: whole(values.latency, 50, 'latency'),
    // Scenario ids to run (all when empty; `heap` is the memory measurement).
    only: values.only?.split(',').map((id) => id.trim()) ?? [],
    dist: values.dist ?? join(ROOT, 'dist'),
    compare: values.compare,
    out: values.out ?? join(ROOT, 'bench', quick ? 'results-quick.md' : 'results.md'),
    readme: values.readme,
  }
}
