/**
 * `wrangler dev` for a demo whose Stytch emulator runs here, in Node (a Worker cannot run it: it
 * holds no state between isolates and listens on no port). Used by `npm run dev:workers` and
 * `npm run dev:mcp:workers`.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'

/** What {@link runWranglerDev} runs and how it tells the Worker works. */
export interface WranglerDemo {
  /** `wrangler dev` arguments naming the Worker: its entry and `--config`, from the repository root. */
  readonly worker: readonly string[]
  /** Passed as `--var NAME:value` (the Stytch emulator's settings, the demo's ids). */
  readonly bindings: Readonly<Record<string, string>>
  /** One request through the Worker once it is up: what is wrong, or `undefined`. */
  check(base: string): Promise<string | undefined>
  /** Prints that the Worker is ready (the demo's banner). */
  announce(base: string): void
  /** Stops the demo's emulator, once wrangler has stopped. */
  close(): Promise<void>
}

/**
 * Runs `wrangler dev` on the demo's Worker with its bindings, checks the Worker once wrangler says
 * it is ready, then announces it; a failed check stops wrangler and exits 1. `PORT` sets wrangler's
 * port (default: wrangler's, 8787); this process's arguments go to `wrangler dev`
 * (`--inspector-port 9229` for a debugger: by default the inspector takes any free port).
 *
 * @example
 * ```ts
 * runWranglerDev({ worker: ['src/demo.ts', '--config', 'wrangler.toml'], bindings, check, announce, close })
 * ```
 */
export function runWranglerDev(demo: WranglerDemo): void {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const wrangler = join(
    dirname(createRequire(import.meta.url).resolve('wrangler/package.json')),
    'bin/wrangler.js'
  )
  const child = spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      ...demo.worker,
      '--ip',
      '127.0.0.1',
      ...(process.env.PORT ? ['--port', process.env.PORT] : []),
      // A free inspector port unless one is given: two dev servers never race for 9229.
      ...(process.argv.some((arg) => arg.startsWith('--inspector-port'))
        ? []
        : ['--inspector-port', '0']),
      '--show-interactive-dev-session=false',
      ...Object.entries(demo.bindings).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      ...process.argv.slice(2),
    ],
    {
      cwd: root,
      stdio: ['inherit', 'pipe', 'pipe'],
      // Offline, wrangler's download of the `Request.cf` sample prints a stack trace (ENOTFOUND
      // workers.cloudflare.com); the demo does not need it. Telemetry is off in wrangler.toml.
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    }
  )

  const ready = async (base: string) => {
    const problem = await demo
      .check(base)
      .catch((error: unknown) => `the Worker did not answer (${String(error)})`)
    if (problem) {
      console.error(`The example did not start. ${problem}`)
      process.exitCode = 1
      child.kill('SIGTERM')
      return
    }
    demo.announce(base)
  }

  let seen = ''
  let announced = false
  child.stderr?.pipe(process.stderr)
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    if (announced) return
    seen += stripVTControlCharacters(chunk.toString())
    const base = /Ready on (http:\/\/[^\s]+)/.exec(seen)?.[1]
    if (base) {
      announced = true
      void ready(base.replace(/\/$/, ''))
    }
  })

  // Ctrl-C reaches wrangler too; stop once it has stopped.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal))
  }
  child.on('exit', (code) => {
    void demo.close().finally(() => process.exit(process.exitCode ?? code ?? 0))
  })
}
