/**
 * Smoke tests of the runtime examples configured with a Stytch project (here: a Stytch emulator
 * this test runs, given as settings) and Upstash, started from the command line: each starts,
 * answers an authenticated request, uses the Upstash cache its variables select, prints nothing
 * alarming, and stops. The Deno example runs in its folder with its own deno.json, which maps
 * `ayz-auth` to this repository's build. (With nothing configured: test/runtimes/first-run.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import {
  startRedisServer,
  startUpstashServer,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'
import { ROOT } from './build-worker.ts'
import { noise } from './run-example.ts'
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
    ready: readyLine('listening on'),
  }),
  'deno (examples/deno, in place)': async (config) => ({
    command: bin('deno'),
    args: ['run', '--allow-net', '--allow-env', 'server.ts'],
    cwd: join(ROOT, 'examples/deno'),
    env: isolatedEnv({ ...config, PORT: '0' }),
    ready: readyLine('listening on'),
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
      // As on a fresh machine (wrangler's settings folder is new); offline, no `Request.cf` download.
      env: isolatedEnv({ XDG_CONFIG_HOME: workdir, CLOUDFLARE_CF_FETCH_ENABLED: 'false' }),
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
      expect(noise(server.output())).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
