/**
 * Runs the examples' commands as a newcomer types them (`sh -c "npm start"` from the repository's
 * root) on a machine with nothing configured: no Stytch, cache or entitlement settings, a fresh
 * wrangler configuration folder, no npm update notice.
 */
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { ROOT } from '../runtimes/build-worker.ts'
import { isolatedEnv, spawnServer, type SpawnedServer } from '../runtimes/spawn-server.ts'

export { ROOT }

/**
 * The environment of a command: nothing but `PATH`, `HOME`, `NO_COLOR`, `PORT=0` (any free port)
 * and `vars`. `npm start` and the other npm scripts skip their `pre` build: `npm test` built
 * `dist/` already, and rebuilding it would pull it from under the tests running beside.
 *
 * @example
 * ```ts
 * spawn('sh', ['-c', 'npm start'], { env: exampleEnv({ NODE_ENV: 'production' }) })
 * ```
 */
export function exampleEnv(
  configHome: string,
  vars: Readonly<Record<string, string>> = {}
): Record<string, string> {
  return isolatedEnv({
    PORT: '0',
    npm_config_ignore_scripts: 'true',
    npm_config_update_notifier: 'false',
    // wrangler keeps its settings (telemetry consent, notices already shown) here: a fresh machine.
    XDG_CONFIG_HOME: configHome,
    ...vars,
  })
}

/** The last line of a demo's banner: once it is printed, every printed command works. */
const BANNER_END = /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*his session is revoked\n/
/** The line a configured example prints when it is ready. */
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/

/**
 * Starts `command` and resolves once it announced its URL (and, with `demo`, its whole banner).
 *
 * @example
 * ```ts
 * const server = await startExample('npm start', exampleEnv(dir), { demo: true })
 * ```
 */
export function startExample(
  command: string,
  env: Readonly<Record<string, string>>,
  { demo, timeoutMs = 60_000 }: { demo: boolean; timeoutMs?: number }
): Promise<SpawnedServer> {
  return spawnServer({
    command: '/bin/sh',
    args: ['-c', command],
    cwd: ROOT,
    env,
    ready: demo ? BANNER_END : LISTENING,
    timeoutMs,
  })
}

/** How a command that should stop by itself ended. */
export interface Ended {
  readonly code: number | null
  readonly output: string
}

/**
 * Runs `command` until it exits (killed, with its process group, after `timeoutMs`).
 *
 * @example
 * ```ts
 * const { code, output } = await runToExit('npm start', exampleEnv(dir, { NODE_ENV: 'production' }))
 * ```
 */
export function runToExit(
  command: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 30_000
): Promise<Ended> {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: ROOT,
    env: { ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const timer = setTimeout(() => {
    output += `\n(still running after ${timeoutMs} ms: killed)`
    if (child.pid) process.kill(-child.pid, 'SIGKILL')
  }, timeoutMs)
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  )
}

/** A printed curl command, the status its `# NNN` comment expects, and the status it got. */
export interface CurlRun {
  readonly line: string
  readonly expected: string | undefined
  readonly status: string | undefined
}

/**
 * Runs every `curl …  # NNN …` line of `output`, in order, as printed, but silently (no progress
 * meter in the test log; errors still shown).
 *
 * @example
 * ```ts
 * for (const run of await runPrintedCurls(output)) expect(run.status).toBe(run.expected)
 * ```
 */
export async function runPrintedCurls(output: string): Promise<CurlRun[]> {
  const lines = output.split('\n').filter((line) => line.startsWith('curl '))
  const runs: CurlRun[] = []
  for (const line of lines) {
    const { stdout } = await promisify(execFile)('sh', ['-c', line.replace(/^curl /, 'curl -sS ')])
    runs.push({
      line,
      expected: /# (\d{3})/.exec(line)?.[1],
      status: /^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1],
    })
  }
  return runs
}

/**
 * Lines of `output` the user did not cause: stack frames, warnings, network errors, telemetry
 * notices. Empty for a clean start.
 *
 * @example
 * ```ts
 * expect(noise(server.output())).toEqual([])
 * ```
 */
export function noise(output: string): string[] {
  return output
    .split('\n')
    .filter(
      (line) =>
        /^\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$/.test(line) ||
        /warn|deprecat|ENOTFOUND|telemetry|\berror\b|unhandled/i.test(line)
    )
}
