/**
 * @module
 * Every child process of a benchmark run, tracked so none outlives it: on a normal end, on an
 * error, on Ctrl-C (SIGINT) or SIGTERM, each live child is stopped (SIGTERM, then SIGKILL), and
 * the run's temporary directory is removed. Forked children also exit by themselves when their IPC
 * channel to this process closes, which covers this process being SIGKILLed.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: children run there so `tsx` and `ayz-auth` resolve. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

const live = new Set<ChildProcess>()
let tempDir: string | undefined
let childEnvironment: Readonly<Record<string, string>> = {}

/**
 * Variables added to the environment of every child forked from now on.
 *
 * @example
 * ```ts
 * setChildEnvironment({ TSX_TSCONFIG_PATH: tsconfig })
 * ```
 */
export function setChildEnvironment(variables: Readonly<Record<string, string>>): void {
  childEnvironment = { ...childEnvironment, ...variables }
}

/**
 * A temporary directory for this run (wrk scripts), created once and removed at exit.
 *
 * @example
 * ```ts
 * writeFileSync(join(runDir(), 'tokens.lua'), script)
 * ```
 */
export function runDir(): string {
  if (!tempDir) {
    removeStaleRunDirs()
    tempDir = mkdtempSync(join(tmpdir(), TEMP_PREFIX))
    writeFileSync(join(tempDir, 'owner.pid'), String(process.pid))
  }
  return tempDir
}

const TEMP_PREFIX = 'ayz-bench-'

/** Removes the directories of earlier runs whose process is gone (killed with SIGKILL). */
function removeStaleRunDirs(): void {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(TEMP_PREFIX))) {
    const dir = join(tmpdir(), name)
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'))
      if (isAlive(owner)) continue
    } catch {
      // no owner file: an unfinished directory, or not ours to judge; leave it
      continue
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Variables that would change the library's configuration behind the harness's back. */
const CONFIG_VARIABLE = /^(STYTCH_|UPSTASH_|REDIS_URL$|MONGODB_)/

/** This process's environment without the library's configuration variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLE.test(name))
  )
}

function track(child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

/** Where and how a child runs. */
export interface ChildOptions {
  /** Flags for `node` itself (e.g. `--expose-gc`). */
  readonly nodeFlags?: readonly string[]
  /**
   * The one CPU the child (every thread, and every process it starts) may run on, set with
   * `taskset -c` before `node` starts; anywhere this process may run when absent.
   */
  readonly cpu?: number
}

/**
 * Forks a TypeScript module of the harness (through `tsx`) with an IPC channel; stdout and stderr
 * go to this process's. The library's configuration variables (`STYTCH_*`, `REDIS_URL`, …) are
 * left out of its environment: every scenario configures the library by options alone. With
 * `cpu`, `taskset -c` starts `node` (it keeps the IPC channel: taskset execs in place).
 *
 * @example
 * ```ts
 * const child = forkTs(new URL('./fixtures/process.ts', import.meta.url), ['50'], { cpu: 0 })
 * ```
 */
export function forkTs(
  module: URL,
  args: readonly string[] = [],
  options: ChildOptions = {}
): ChildProcess {
  const nodeArgs = [...(options.nodeFlags ?? []), '--import', 'tsx']
  const pinned = options.cpu === undefined ? undefined : taskset(options.cpu, process.execPath)
  return track(
    fork(fileURLToPath(module), [...args], {
      cwd: ROOT,
      ...(pinned
        ? { execPath: pinned.command, execArgv: [...pinned.args, ...nodeArgs] }
        : { execArgv: nodeArgs }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...cleanEnv(), ...childEnvironment },
    })
  )
}

/**
 * Spawns a program (the load generator) with piped output, on one CPU when `cpu` is given.
 *
 * @example
 * ```ts
 * const wrk = spawnTracked('/usr/bin/wrk', ['-c50', url], 0)
 * ```
 */
export function spawnTracked(command: string, args: readonly string[], cpu?: number): ChildProcess {
  const pinned = cpu === undefined ? { command, args: [] } : taskset(cpu, command)
  return track(
    spawn(pinned.command, [...pinned.args, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  )
}

/** `taskset -c <cpu> <command>`: the program to run and its first arguments. */
function taskset(cpu: number, command: string): { command: string; args: string[] } {
  const binary = findProgram('taskset')
  if (!binary) throw new Error('taskset is not installed (util-linux): cannot pin to a CPU')
  return { command: binary, args: ['-c', String(cpu), command] }
}

/**
 * The absolute path of an executable on `PATH` (or in `/usr/bin`, `/usr/local/bin`), if any.
 *
 * @example
 * ```ts
 * findProgram('wrk') // '/usr/bin/wrk'
 * ```
 */
export function findProgram(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/bin',
    '/usr/local/bin',
  ]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      continue
    }
  }
  return undefined
}

/**
 * Resolves when `child` has exited, stopping it first: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @example
 * ```ts
 * await stopChild(server)
 * ```
 */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/**
 * Stops every live child, then removes the temporary directory.
 *
 * @example
 * ```ts
 * await stopAll()
 * ```
 */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)))
  removeTempDir()
}

function removeTempDir(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
  tempDir = undefined
}

/**
 * Installs the clean-up: children are SIGKILLed when this process exits for any reason, and
 * stopped gracefully on SIGINT/SIGTERM and on an uncaught error before exiting non-zero.
 *
 * @example
 * ```ts
 * installCleanup()
 * ```
 */
export function installCleanup(): void {
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
    removeTempDir()
  })
  let stopping = false
  const abort = (reason: string, code: number) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`\nbench: ${reason}; stopping ${live.size} child process(es)\n`)
    const hardExit = setTimeout(() => process.exit(code), 5000)
    hardExit.unref()
    void stopAll().finally(() => process.exit(code))
  }
  process.on('SIGINT', () => abort('interrupted', 130))
  process.on('SIGTERM', () => abort('terminated', 143))
  // Once stopping, failures are the children going away: not worth a stack trace.
  const fail = (kind: string, error: unknown) => {
    if (!stopping) {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
      )
    }
    abort(kind, 1)
  }
  process.on('uncaughtException', (error) => fail('uncaught error', error))
  process.on('unhandledRejection', (error) => fail('unhandled rejection', error))
}
