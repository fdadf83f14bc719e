/**
 * `npm run dev:workers`: the Workers example with nothing configured. A Worker cannot run the
 * Stytch emulator itself (it holds no state between isolates and listens on no port), so this
 * script starts it here, in Node, seeds the demo members, and runs `wrangler dev` on
 * `examples/workers/src/demo.ts` with `--var` bindings pointing at it. Once the Worker answers a
 * request with a demo session, it prints the same banner as `npm start`. `PORT` sets wrangler's
 * port (default: wrangler's, 8787); other arguments go to `wrangler dev` (`--inspector-port 9229`
 * for a debugger: by default the inspector takes any free port).
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { demoRefusal, startDemoStytch } from '../shared/demo-stytch.ts'
import { demoBanner, exit, selfCheck } from '../shared/startup.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const wrangler = join(
  dirname(createRequire(import.meta.url).resolve('wrangler/package.json')),
  'bin/wrangler.js'
)

const refusal = demoRefusal()
if (refusal) exit(refusal)
const demo = await startDemoStytch()
const { projectId, secret, baseUrl } = demo.auth
const bindings = {
  STYTCH_PROJECT_ID: projectId,
  STYTCH_SECRET: secret,
  STYTCH_BASE_URL: baseUrl,
  AYZ_DEMO_IDS: JSON.stringify(demo.ids),
}

const child = spawn(
  process.execPath,
  [
    wrangler,
    'dev',
    'examples/workers/src/demo.ts',
    '--config',
    'wrangler.toml',
    '--ip',
    '127.0.0.1',
    ...(process.env.PORT ? ['--port', process.env.PORT] : []),
    // A free inspector port unless one is given: two dev servers never race for 9229.
    ...(process.argv.some((arg) => arg.startsWith('--inspector-port'))
      ? []
      : ['--inspector-port', '0']),
    '--show-interactive-dev-session=false',
    ...Object.entries(bindings).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
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

async function ready(base: string): Promise<void> {
  const problem = await selfCheck(
    (path, init) => fetch(`${base}${path}`, init),
    demo.members.ada.sessionToken
  ).catch((error: unknown) => `the Worker did not answer (${String(error)})`)
  if (problem) {
    console.error(`The example did not start. ${problem}`)
    process.exitCode = 1
    child.kill('SIGTERM')
    return
  }
  console.log(`ayz-auth example (Workers, wrangler dev) listening on ${base}`)
  console.log(demoBanner(base, demo, { page: false }))
}

// Ctrl-C reaches wrangler too; stop once it has stopped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal))
}
child.on('exit', (code) => {
  void demo.close().finally(() => process.exit(process.exitCode ?? code ?? 0))
})
