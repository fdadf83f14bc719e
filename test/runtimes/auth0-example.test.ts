/**
 * The Auth0 example, as the README's "Auth0" section tells it: `npm run start:auth0` from the
 * repository's root. With nothing configured it starts against the Auth0 emulator (announced
 * loudly) and every curl its banner prints answers as its comment says: a user with permissions,
 * one without, an M2M application; its output holds no stack trace or warning the user did not
 * cause. Under NODE_ENV=production it refuses, in one message; with a tenant's settings (here an
 * emulator this test runs, given as AUTH0_BASE_URL and AUTH0_API_AUDIENCE) it serves that tenant's
 * tokens and prints no banner.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAuth0Emulator } from '../../src/testing/index.ts'
import { exampleEnv, noise, ROOT, runPrintedCurls, runToExit } from './run-example.ts'
import { spawnServer } from './spawn-server.ts'

const COMMAND = 'npm run start:auth0'
/** The banner's last line: once it is printed, every printed command works. */
const BANNER_END = /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*refused until it expires\n/

let configHome = ''
beforeAll(async () => {
  configHome = await mkdtemp(join(tmpdir(), 'ayz-auth-auth0-example-'))
})
afterAll(() => rm(configHome, { recursive: true, force: true }))

describe('the README\'s "Auth0" section', () => {
  it('names the command this file runs', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('\n## Auth0\n'))
    expect(section.slice(0, section.indexOf('\n## ', 1))).toContain(`\n${COMMAND}`)
  })
})

describe(`\`${COMMAND}\``, () => {
  it('with nothing configured, starts against the Auth0 emulator and every printed curl answers as it says', async () => {
    const server = await spawnServer({
      command: '/bin/sh',
      args: ['-c', COMMAND],
      cwd: ROOT,
      env: exampleEnv(configHome),
      ready: BANNER_END,
      timeoutMs: 60_000,
    })
    try {
      const output = server.output()
      expect(output).toMatch(
        /DEVELOPMENT MODE: no AUTH0_DOMAIN is set, so this app uses the LOCAL AUTH0 EMULATOR/
      )
      const runs = await runPrintedCurls(output)
      expect(runs.length).toBeGreaterThanOrEqual(14)
      for (const run of runs) expect(run).toEqual({ ...run, status: run.expected })
      // A user with permissions, one without, and an M2M application each have their lines.
      const lines = runs.map((run) => run.line).join('\n')
      expect(lines).toMatch(/documents {2}# 200 Ada holds read:documents/)
      expect(lines).toMatch(/documents {2}# 403 Bob holds no permission/)
      expect(lines).toMatch(/reports {2}# 200 it holds the read:reports scope/)
      expect(noise(server.output())).toEqual([])
    } finally {
      await server.stop()
    }
  })

  it('refuses the emulator under NODE_ENV=production, in one message', async () => {
    const { code, output } = await runToExit(
      COMMAND,
      exampleEnv(configHome, { NODE_ENV: 'production' })
    )
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain('set AUTH0_DOMAIN')
    expect(output).not.toContain('DEVELOPMENT MODE')
    expect(noise(output)).toEqual([])
  })

  it("with a tenant's settings, serves its tokens and no banner", async () => {
    const tenant = await startAuth0Emulator()
    const server = await spawnServer({
      command: '/bin/sh',
      args: ['-c', COMMAND],
      cwd: ROOT,
      env: exampleEnv(configHome, {
        AUTH0_BASE_URL: tenant.url,
        AUTH0_API_AUDIENCE: tenant.audience,
      }),
      ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
      timeoutMs: 60_000,
    })
    try {
      const token = await tenant.emulator.mintUserToken({ permissions: ['read:documents'] })
      const documents = await fetch(`${server.url}/api/documents`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(documents.status).toBe(200)
      expect((await fetch(`${server.url}/api/me`)).status).toBe(401)
      expect(server.output()).not.toContain('DEVELOPMENT MODE')
      expect(noise(server.output())).toEqual([])
    } finally {
      await server.stop()
      await tenant.close()
    }
  })
})
