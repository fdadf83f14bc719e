/**
 * Smoke tests of the runtime examples, started from the command line as their READMEs say: each
 * starts, answers an authenticated request against a Stytch emulator this test runs, and stops.
 * The Deno example runs with its own deno.json (`npm:` imports) in a project whose node_modules
 * links `ayz-auth` to this repository, as `npm link` would.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import {
  startRedisServer,
  startUpstashServer,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'
import { ROOT } from './build-worker.ts'
import { isolatedEnv, spawnServer, type SpawnOptions } from './spawn-server.ts'

let stytch: RunningStytchEmulator
let redis: RedisServer
let upstash: UpstashServer
let workdir: string

beforeAll(async () => {
  redis = await startRedisServer()
  workdir = await mkdtemp(join(tmpdir(), 'ayz-auth-examples-'))
  ;[stytch, upstash] = await Promise.all([
    startStytchEmulator(),
    startUpstashServer({ redisUrl: redis.url }),
    linkDenoProject(join(workdir, 'deno')),
  ])
})
afterAll(async () => {
  await Promise.all([
    stytch?.close(),
    upstash?.close(),
    workdir && rm(workdir, { recursive: true, force: true }),
  ])
  await redis?.stop()
})

/** A copy of the Deno example and the shared app, with `node_modules/{ayz-auth,hono,…}` linked. */
async function linkDenoProject(project: string): Promise<void> {
  for (const file of [
    'examples/deno/server.ts',
    'examples/deno/deno.json',
    'examples/shared/app.ts',
  ]) {
    await mkdir(dirname(join(project, file)), { recursive: true })
    await copyFile(join(ROOT, file), join(project, file))
  }
  await mkdir(join(project, 'node_modules/@upstash'), { recursive: true })
  await symlink(ROOT, join(project, 'node_modules/ayz-auth'))
  for (const name of ['hono', '@upstash/redis']) {
    await symlink(join(ROOT, 'node_modules', name), join(project, 'node_modules', name))
  }
}

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)
/** `http://127.0.0.1:<port>` right after `announcement`: the line each runtime prints when ready. */
const readyLine = (announcement: string) =>
  new RegExp(`${announcement} http://127\\.0\\.0\\.1:(\\d+)`)

/** How each example is started; `env` is what configures it (Workers: an env file of bindings). */
const EXAMPLES: Record<string, (config: Record<string, string>) => Promise<SpawnOptions>> = {
  'node (examples/node)': async (config) => ({
    command: process.execPath,
    args: ['--import', 'tsx', 'examples/node/server.ts'],
    cwd: ROOT,
    env: isolatedEnv({ ...config, PORT: '0' }),
    ready: readyLine('listening on'),
  }),
  'bun (examples/bun)': async (config) => ({
    command: bin('bun'),
    args: ['run', 'examples/bun/server.ts'],
    cwd: ROOT,
    env: isolatedEnv({ ...config, PORT: '0' }),
    ready: readyLine('server:'),
  }),
  'deno (examples/deno, npm: imports)': async (config) => ({
    command: bin('deno'),
    args: [
      'serve',
      '--allow-net',
      '--allow-env',
      '--node-modules-dir=manual',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      'server.ts',
    ],
    cwd: join(workdir, 'deno/examples/deno'),
    env: isolatedEnv(config),
    ready: readyLine('Listening on'),
  }),
  'workers (examples/workers, wrangler dev)': async (config) => {
    const envFile = join(workdir, 'workers.env')
    await writeFile(
      envFile,
      Object.entries(config)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n')
    )
    return {
      command: bin('wrangler'),
      args: [
        'dev',
        '--config',
        'wrangler.toml',
        '--env-file',
        envFile,
        '--ip',
        '127.0.0.1',
        '--port',
        '0',
        '--inspector-port',
        '0',
        '--show-interactive-dev-session=false',
      ],
      cwd: ROOT,
      env: isolatedEnv({ WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }),
      ready: readyLine('Ready on'),
    }
  },
}

describe.each(Object.entries(EXAMPLES))('the %s example', (_, start) => {
  it('starts, answers an authenticated request, and stops', async () => {
    const ada = await stytch.emulator.seed({
      member: { email: 'ada@acme.example', name: 'Ada Admin' },
    })
    const config = {
      ...stytch.env(),
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
    }
    const server = await spawnServer(await start(config))
    try {
      const cacheRequests = upstash.requests
      const anonymous = await fetch(`${server.url}/api/me`)
      const me = await fetch(`${server.url}/api/me`, {
        headers: { authorization: `Bearer ${ada.sessionToken}` },
      })
      expect(anonymous.status).toBe(401)
      expect(await me.json()).toMatchObject({
        memberId: ada.member.member_id,
        memberName: 'Ada Admin',
      })
      // The Upstash variables alone select the shared cache: the example used it.
      expect(upstash.requests).toBeGreaterThan(cacheRequests)
    } finally {
      await server.stop()
    }
  })
})
