/**
 * @module
 * The run's child processes: TypeScript modules forked through tsx, on one CPU when asked
 * (`taskset -c`), each stopped when the run ends however it ends. A child says it is ready with
 * one `{ ready }` message, then answers `{ id, command, args }` messages ({@link answerCommands});
 * it exits when the orchestrator goes away.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: children run there so `tsx` and the dependencies resolve. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))
const live = new Set<ChildProcess>()
let temporary: string | undefined

/**
 * The run's temporary directory (build snapshots), removed when the run ends.
 */
export function runDir(): string {
  return (temporary ??= mkdtempSync(join(tmpdir(), 'ayz-bench-')))
}

/** The commands a child answers: JSON arguments in, a JSON result (or its promise) out. */
export type Commands = Record<string, (...args: never[]) => unknown>

/**
 * Answers the orchestrator's commands in this child, and exits when the orchestrator goes away.
 */
export function answerCommands(commands: Commands): void {
  process.on(
    'message',
    ({ id, command, args }: { id: number; command: string; args: unknown[] }) => {
      const handler = commands[command] as (...args: unknown[]) => unknown
      Promise.resolve()
        .then(() => handler(...args))
        .then(
          (result) => process.send?.({ id, result: result ?? null }),
          (error: unknown) => process.send?.({ id, error: String(error) })
        )
    }
  )
  process.on('disconnect', () => process.exit(0))
}

/** A started child: its pid, its commands, and stopping it (SIGTERM, SIGKILL after 3 s). */
export interface Child<T extends Commands> {
  readonly pid: number
  call<K extends keyof T & string>(
    name: K,
    ...args: Parameters<T[K]>
  ): Promise<Awaited<ReturnType<T[K]>>>
  stop(): Promise<void>
}

/** Where a child runs (`cpu`: with `taskset -c`), with which node flags and added variables. */
type ChildOptions = { cpu?: number | undefined; nodeFlags?: string[]; env?: Record<string, string> }
/** Variables that would configure the library behind the harness's back. */
const CONFIG_VARIABLE = /^(STYTCH_|UPSTASH_|REDIS_URL$|MONGODB_)/
let lastId = 0

/**
 * Forks a module of the harness (without the library's configuration variables; with `cpu`,
 * `taskset -c` execs `node` in place, so the pid is node's) and waits for its `{ ready }`
 * message; rejects if it exits first.
 */
export async function startChild<R, T extends Commands = Commands>(
  module: URL,
  args: string[],
  { cpu, nodeFlags = [], env }: ChildOptions
): Promise<{ ready: R; child: Child<T> }> {
  const inherited = Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLE.test(name))
  const pinned =
    cpu === undefined ? {} : { execPath: 'taskset', taskset: ['-c', `${cpu}`, process.execPath] }
  const execArgv = [...(pinned.taskset ?? []), ...nodeFlags, '--import', 'tsx']
  const options = { cwd: ROOT, env: { ...Object.fromEntries(inherited), ...env }, execArgv }
  const forked = fork(fileURLToPath(module), args, { ...options, execPath: pinned.execPath })
  live.add(forked)
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>()
  const exited = once(forked, 'exit').then(([code, signal]) => {
    live.delete(forked)
    const error = new Error(`${fileURLToPath(module)} exited (${signal ?? code})`)
    for (const { reject } of pending.values()) reject(error)
    throw error
  })
  type Message = { ready?: R; id: number; result: never; error?: string }
  const ready = new Promise<R>((resolve) =>
    forked.on('message', (message: Message) => {
      if ('ready' in message) return resolve(message.ready as R)
      const waiting = pending.get(message.id)
      pending.delete(message.id)
      if (message.error === undefined) waiting?.resolve(message.result)
      else waiting?.reject(new Error(message.error))
    })
  )
  const call: Child<T>['call'] = (command, ...args) =>
    new Promise((resolve, reject) => {
      pending.set(++lastId, { resolve, reject })
      forked.send({ id: lastId, command, args })
    })
  const child = { pid: forked.pid ?? 0, call, stop: () => stopChild(forked) }
  return { ready: await Promise.race([ready, exited]), child }
}

/** Stops `child`: SIGTERM, then SIGKILL after 3 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  child.kill('SIGTERM')
  await exited
  clearTimeout(timer)
}

/** Clock ticks per second of `/proc/<pid>/stat` times. */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/**
 * CPU time process `pid` has used so far (user + system, every thread), in µs, from
 * `/proc/<pid>/stat`: read from outside, so asking costs the server nothing.
 */
export function cpuMicrosOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS
}

/** The CPU of the server under test, and the CPU of everything else. */
export type Pinning = { readonly server: number; readonly load: number }

/**
 * Pins this process (and so every child it starts) to the load CPU and returns the placement:
 * the server on the last allowed CPU, the rest on the first, when `taskset` is installed and 2
 * CPUs are allowed, unless `off`; `on` insists.
 */
export function placeProcesses(choice: 'auto' | 'on' | 'off'): {
  pinning: Pinning | undefined
  reason: string
} {
  if (choice === 'off') return { pinning: undefined, reason: '--no-pin' }
  const status = readFileSync('/proc/self/status', 'utf8')
  const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? ''
  const cpus = list.split(',').flatMap((range) => {
    const [from = NaN, to = from] = range.split('-').map(Number)
    return Array.from({ length: to - from + 1 }, (_, i) => from + i)
  })
  const [server = NaN, load = NaN] = [cpus[cpus.length - 1], cpus[0]]
  const usable = server !== load && cpus.includes(server) && cpus.includes(load)
  const taskset = (...args: string[]) => spawnSync('taskset', args).status === 0
  const why = !taskset('-V') ? 'taskset is not installed' : !usable ? `CPUs ${list}` : undefined
  if (why && choice === 'on') throw new Error(`cannot pin: ${why}`)
  if (why) return { pinning: undefined, reason: why }
  if (!taskset('-a', '-p', '-c', String(load), String(process.pid)))
    throw new Error('taskset failed')
  return { pinning: { server, load }, reason: choice === 'on' ? '--pin' : 'default' }
}

/**
 * Makes sure no child outlives the run: SIGKILL on exit, graceful stops on SIGINT, SIGTERM or an
 * uncaught error (then a non-zero exit); returns the graceful stop, for the run's normal end.
 */
export function installCleanup(): () => Promise<void> {
  const removeTemporary = () => temporary && rmSync(temporary, { recursive: true, force: true })
  const stopAll = async () => void (await Promise.all([...live].map(stopChild)), removeTemporary())
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
    removeTemporary()
  })
  const abort = (reason: string, code: number, error?: unknown): void => {
    process.stderr.write(`${error instanceof Error ? error.stack : ''}\nbench: ${reason}\n`)
    setTimeout(() => process.exit(code), 5000).unref()
    void stopAll().finally(() => process.exit(code))
  }
  process.once('SIGINT', () => abort('interrupted', 130))
  process.once('SIGTERM', () => abort('terminated', 143))
  process.once('uncaughtException', (error) => abort('uncaught error', 1, error))
  process.once('unhandledRejection', (error) => abort('unhandled rejection', 1, error))
  return stopAll
}
