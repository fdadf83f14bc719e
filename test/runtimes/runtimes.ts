/**
 * The four runtimes of the conformance suite, each serving `conformance-worker.ts` configured by
 * its own environment: Node (`@hono/node-server`), Bun (`Bun.serve`) and Deno (`Deno.serve`) from
 * process environment variables, workerd (Miniflare, on the bundle `wrangler deploy` would upload)
 * from Worker bindings.
 */
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { buildWorker, ROOT } from './build-worker.ts'
import { isolatedEnv, spawnServer } from './spawn-server.ts'

/** The runtimes, in the order the suite reports them. */
export const RUNTIMES = ['node', 'bun', 'deno', 'workerd'] as const
/** One of {@link RUNTIMES}. */
export type RuntimeName = (typeof RUNTIMES)[number]

/** A runtime serving the conformance app. */
export interface RunningRuntime {
  readonly name: RuntimeName
  readonly url: string
  /** What the runtime printed (workerd: Miniflare prints the Worker's logs to the test output). */
  output(): string
  stop(): Promise<void>
}

const SERVE = 'test/runtimes/serve-conformance.ts'
const WORKER = 'test/runtimes/conformance-worker.ts'
const ANNOUNCED = /listening on http:\/\/127\.0\.0\.1:(\d+)/
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)

/** The command line that serves the conformance app on each process runtime. */
const COMMANDS = {
  node: { command: process.execPath, args: ['--import', 'tsx', SERVE] },
  bun: { command: bin('bun'), args: ['run', SERVE] },
  deno: {
    command: bin('deno'),
    args: ['run', '--allow-env', '--allow-net', '--node-modules-dir=manual', SERVE],
  },
} as const

/**
 * Starts `name` with `config` as its environment (workerd: as its bindings, and nothing else).
 *
 * @example
 * ```ts
 * const deno = await startRuntime('deno', { STYTCH_PROJECT_ID: '…', STYTCH_SECRET: '…' })
 * await fetch(`${deno.url}/api/me`)
 * await deno.stop()
 * ```
 */
export async function startRuntime(
  name: RuntimeName,
  config: Readonly<Record<string, string>>
): Promise<RunningRuntime> {
  if (name === 'workerd') return startWorkerd(config)
  const { command, args } = COMMANDS[name]
  const env = isolatedEnv(config)
  const server = await spawnServer({ command, args, cwd: ROOT, env, ready: ANNOUNCED })
  return { name, url: server.url, output: server.output, stop: server.stop }
}

async function startWorkerd(config: Readonly<Record<string, string>>): Promise<RunningRuntime> {
  const worker = await buildWorker(WORKER)
  try {
    const miniflare = new Miniflare({
      modulesRoot: worker.dir,
      modules: [{ type: 'ESModule', path: join(worker.dir, worker.file), contents: worker.code }],
      compatibilityDate: worker.compatibilityDate,
      compatibilityFlags: [...worker.compatibilityFlags],
      bindings: { ...worker.vars, ...config },
      host: '127.0.0.1',
      port: 0,
      cf: false,
    })
    const url = await miniflare.ready
    return {
      name: 'workerd',
      url: url.origin,
      output: () => '(see the test output)',
      stop: async () => {
        await miniflare.dispose()
        await worker.remove()
      },
    }
  } catch (error) {
    await worker.remove()
    throw error
  }
}
