/**
 * @module
 * The machine a run measured on, for the report: CPUs, model, memory, kernel, Node, redis-server.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg, release, totalmem } from 'node:os'
import { findRedisServer } from '../test/fixtures/redis/index.ts'
import { ROOT } from './children.ts'

/** Where a run measured. */
export interface MachineInfo {
  readonly cpus: number
  readonly model: string
  readonly memoryGiB: number
  readonly kernel: string
  readonly node: string
  readonly redis: string
}

/**
 * The current machine.
 *
 * @example
 * ```ts
 * const { cpus, model } = machineInfo()
 * ```
 */
export function machineInfo(): MachineInfo {
  let model = 'unknown CPU'
  try {
    model =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model
  } catch {
    // not Linux
  }
  const redisBinary = findRedisServer()
  const redisVersion = redisBinary
    ? /v=(\S+)/.exec(spawnSync(redisBinary, ['--version'], { encoding: 'utf8' }).stdout)?.[1]
    : undefined
  return {
    cpus: availableParallelism(),
    model,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: `${process.platform} ${release()}`,
    node: process.version,
    redis: redisVersion ?? 'unknown',
  }
}

/**
 * The 1-minute load average (how busy the machine was, other processes included).
 *
 * @example
 * ```ts
 * const before = loadAverage()
 * ```
 */
export function loadAverage(): number {
  return loadavg()[0] ?? 0
}

/**
 * Which build is measured: the commit, and whether `src/` or `adapters/` had uncommitted changes.
 *
 * @example
 * ```ts
 * buildInfo() // 'dist/ of 71a603e'
 * ```
 */
export function buildInfo(): string {
  const git = (...args: string[]): string =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown commit'
  const dirty = git('status', '--porcelain', '--', 'src', 'adapters') !== ''
  return `dist/ of ${commit}${dirty ? ' with uncommitted changes in src/ or adapters/' : ''}`
}
