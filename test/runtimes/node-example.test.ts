/**
 * How the examples fail when they cannot run: one clear message, exit status 1, no stack trace,
 * never a banner of commands that would all fail. (Their first run with nothing configured is
 * `first-run.test.ts`; the web page is `web-page.test.ts`.)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleEnv, noise, runToExit } from './run-example.ts'

let configHome = ''
beforeAll(async () => {
  configHome = await mkdtemp(join(tmpdir(), 'ayz-auth-example-failures-'))
})
afterAll(() => rm(configHome, { recursive: true, force: true }))

const STARTS = ['npm start', 'npm run start:bun', 'npm run start:deno', 'npm run dev:workers']

describe.each(STARTS)('`NODE_ENV=production %s` with no Stytch project', (command) => {
  it('refuses the emulator and says exactly what to set, in one message', async () => {
    const { code, output } = await runToExit(
      command,
      exampleEnv(configHome, { NODE_ENV: 'production' })
    )
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain('set STYTCH_PROJECT_ID and STYTCH_SECRET')
    expect(output).toContain('run it without NODE_ENV=production')
    expect(output).not.toMatch(/^\s+at /m)
  })
})

describe.each(STARTS.slice(0, 3))('`%s` on a port another program holds', (command) => {
  let holder: Server
  let port = 0
  beforeAll(async () => {
    holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    port = (holder.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())))

  it('prints one line naming the port and PORT, and exits 1', async () => {
    const { code, output } = await runToExit(command, exampleEnv(configHome, { PORT: `${port}` }))
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain(`Port ${port} is in use by another program`)
    expect(output).toMatch(/choose another port, e\.g\. PORT=\d+ npm/)
    expect(output).not.toContain('Try these')
    expect(output).not.toMatch(/^\s+at /m)
  })
})

/** A configuration error in each runtime's own configuration (a Worker's: its bindings). */
const MISCONFIGURED = [
  ...STARTS.slice(0, 3).map((command) => ({ command, env: { STYTCH_CACHE: 'bogus' } })),
  { command: 'npm run dev:workers -- --var STYTCH_CACHE:bogus', env: {} },
]

describe.each(MISCONFIGURED)('`$command` with STYTCH_CACHE=bogus', ({ command, env }) => {
  it('checks itself, prints the problem instead of the banner, and exits 1', async () => {
    const { code, output } = await runToExit(command, exampleEnv(configHome, env), 60_000)
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain(
      'The example did not start. GET /api/me with a demo session answered 500'
    )
    expect(output).toContain('STYTCH_CACHE')
    expect(output).not.toContain('Try these')
  })
})

describe('the failure messages', () => {
  it('hold no warning besides the problem itself', async () => {
    const { output } = await runToExit(
      'npm start',
      exampleEnv(configHome, { NODE_ENV: 'production' })
    )
    expect(noise(output)).toEqual([])
  })
})
