/**
 * A server in a child process, started from the command line as a user would start it, and
 * stopped with its whole process group (wrangler dev runs workerd as a grandchild).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { killWithTestProcess } from '../fixtures/redis/orphan-guard.ts'

/** A running server. */
export interface SpawnedServer {
  /** `http://127.0.0.1:<port>`, as the server announced it. */
  readonly url: string
  /** Everything it printed, stdout and stderr interleaved. */
  output(): string
  stop(): Promise<void>
}

/** How to start one. */
export interface SpawnOptions {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  /** Matches the line that announces the server; its first group is the port. */
  readonly ready: RegExp
  /** Default 30 s. */
  readonly timeoutMs?: number
}

const STOP_GRACE_MS = 3000

/**
 * An environment holding only this process's `PATH` and `HOME`, plus `vars`: none of the test
 * process's settings leak into a server, so whatever configures it is in `vars`.
 *
 * @example
 * ```ts
 * spawn('node', ['app.ts'], { env: isolatedEnv({ STYTCH_PROJECT_ID: 'project-test-…' }) })
 * ```
 */
export function isolatedEnv(vars: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...vars }
}

/**
 * Starts `command` and resolves once it announces its port. A missing binary rejects (it is a
 * devDependency: `npm install` brings it), so a runtime is never silently skipped.
 *
 * @example
 * ```ts
 * const ready = /listening on http:\/\/127\.0\.0\.1:(\d+)/
 * const server = await spawnServer({ command: bun, args: ['run', 'app.ts'], cwd, env, ready })
 * await fetch(`${server.url}/`)
 * await server.stop()
 * ```
 */
export async function spawnServer(options: SpawnOptions): Promise<SpawnedServer> {
  if (!existsSync(options.command)) {
    throw new Error(`${options.command} is missing: run \`npm install\` (it is a devDependency)`)
  }
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  killWithTestProcess(child)
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    signalGroup(child.pid, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail('did not announce a port in time'),
      options.timeoutMs ?? 30_000
    )
    const fail = (reason: string) => {
      clearTimeout(timer)
      reject(new Error(`${options.command} ${options.args.join(' ')} ${reason}:\n${output}`))
    }
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const found = options.ready.exec(output)?.[1]
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', (error) => fail(`could not start (${error.message})`))
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`))
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })
  return { url: `http://127.0.0.1:${port}`, output: () => output, stop }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}
