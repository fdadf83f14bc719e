/**
 * `npm run dev:mcp:workers`: the MCP example's Worker with nothing configured. A Worker cannot run
 * the Stytch emulator itself (it holds no state between isolates and listens on no port), so this
 * script starts it here, in Node, seeds a member and mints her tokens, and runs `wrangler dev` on
 * `examples/mcp/worker.ts` with `--var` bindings pointing at it. Once the Worker answers an MCP
 * request with the demo's token, it prints the same banner as `npm run start:mcp`. `PORT` sets
 * wrangler's port (default: wrangler's, 8787); other arguments go to `wrangler dev`.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { demoRefusal } from '../shared/demo-stytch.ts'
import { exit } from '../shared/startup.ts'
import { mcpBanner, startMcpDemo } from './demo.ts'
import { mcpSelfCheck } from './self-check.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const wrangler = join(
  dirname(createRequire(import.meta.url).resolve('wrangler/package.json')),
  'bin/wrangler.js'
)

const refusal = demoRefusal()
if (refusal) exit(refusal)
const demo = await startMcpDemo()
const bindings = {
  STYTCH_PROJECT_ID: demo.auth.projectId,
  STYTCH_SECRET: demo.auth.secret,
  STYTCH_BASE_URL: demo.auth.baseUrl,
}

const child = spawn(
  process.execPath,
  [
    wrangler,
    'dev',
    '--config',
    'examples/mcp/wrangler.toml',
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
    // Offline, wrangler's download of the `Request.cf` sample prints a stack trace; not needed here.
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
  const problem = await mcpSelfCheck(
    (path, init) => fetch(`${base}${path}`, init),
    '/mcp',
    demo.token
  ).catch((error: unknown) => `the Worker did not answer (${String(error)})`)
  if (problem) {
    console.error(`The example did not start. ${problem}`)
    process.exitCode = 1
    child.kill('SIGTERM')
    return
  }
  console.log(`ayz-auth MCP example (Workers, wrangler dev) listening on ${base}`)
  console.log(mcpBanner(base, demo))
}

// Ctrl-C reaches wrangler too; stop once it has stopped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal))
}
child.on('exit', (code) => {
  void demo.close().finally(() => process.exit(process.exitCode ?? code ?? 0))
})
