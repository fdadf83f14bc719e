/**
 * @module
 * Pinned mode: the server under test on one CPU, everything else (wrk, the Stytch emulator,
 * redis-server, the Upstash and MongoDB servers, the exact-count client, this orchestrator) on
 * another, each set with `taskset`. Unpinned, the server competes with the load generator and the
 * dependencies for every core, and its throughput moves with their scheduling; pinned, it has a
 * core to itself and the ratios measure the library.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { findProgram } from './children.ts'

/** The CPU of the server under test, and the CPU of the rest of the run. */
export interface Pinning {
  readonly server: number
  readonly load: number
}

/** `on` (`--pin`), `off` (`--no-pin`), or `auto`: pinned in full mode when possible. */
export type PinChoice = 'auto' | 'on' | 'off'

/** The placement a run uses, and why. */
export interface Placement {
  readonly pinning: Pinning | undefined
  /** Why the run is (not) pinned, for the log and the report. */
  readonly reason: string
}

/**
 * The CPUs this process may run on (its affinity list: `Cpus_allowed_list` on Linux), or `0…n−1`
 * where that cannot be read.
 *
 * @example
 * ```ts
 * allowedCpus() // [0, 1]
 * ```
 */
export function allowedCpus(): number[] {
  const list = affinityList()
  if (list === undefined) return Array.from({ length: availableParallelism() }, (_, i) => i)
  return list.split(',').flatMap((range) => {
    const [from = NaN, to = from] = range.split('-').map(Number)
    return Number.isInteger(from) && Number.isInteger(to)
      ? Array.from({ length: to - from + 1 }, (_, i) => from + i)
      : []
  })
}

/**
 * This process's CPU affinity as Linux prints it (`0-1`, `1`), or `undefined` off Linux.
 *
 * @example
 * ```ts
 * affinityList() // '1'
 * ```
 */
export function affinityList(): string | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1]
  } catch {
    return undefined
  }
}

/**
 * Decides the run's placement. `auto` pins a full run (the one the README's table comes from) when
 * this process may use 2 CPUs or more and `taskset` is installed; `on` (or explicit `cores`)
 * insists, and fails when it cannot. Default cores: the server on the last allowed CPU, the rest
 * on the first.
 *
 * @example
 * ```ts
 * const { pinning } = choosePlacement('on', 'quick') // { server: 1, load: 0 } on 2 CPUs
 * ```
 */
export function choosePlacement(
  choice: PinChoice,
  mode: 'quick' | 'full',
  cores?: readonly [server: number, load: number]
): Placement {
  if (choice === 'off') return { pinning: undefined, reason: '--no-pin' }
  const cpus = allowedCpus()
  const insist = choice === 'on' || cores !== undefined
  const refuse = (why: string): Placement => {
    if (insist) throw new Error(`cannot pin: ${why}`)
    return { pinning: undefined, reason: why }
  }
  if (!insist && mode === 'quick') return { pinning: undefined, reason: 'quick mode default' }
  if (!findProgram('taskset')) return refuse('taskset is not installed')
  if (cpus.length < 2) return refuse(`this process may use ${cpus.length} CPU only`)
  const [server = NaN, load = NaN] = cores ?? [cpus[cpus.length - 1], cpus[0]]
  if (server === load) return refuse(`the server and the load need two CPUs, got ${server} twice`)
  for (const cpu of [server, load]) {
    if (!cpus.includes(cpu)) return refuse(`CPU ${cpu} is not among the allowed ${cpus.join(',')}`)
  }
  const reason = choice === 'on' || cores ? '--pin' : 'full mode default'
  return { pinning: { server, load }, reason }
}

/**
 * Confines this process (every thread) to `cpu`; processes it starts from now on inherit that.
 *
 * @example
 * ```ts
 * pinThisProcess(pinning.load)
 * ```
 */
export function pinThisProcess(cpu: number): void {
  const taskset = findProgram('taskset')
  if (!taskset) throw new Error('taskset is not installed')
  const result = spawnSync(taskset, ['-a', '-p', '-c', String(cpu), String(process.pid)], {
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`taskset failed: ${result.stderr || result.error}`)
}
