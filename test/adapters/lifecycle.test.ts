/**
 * What the library opens, it closes; what it cannot use, it names. A script that authenticates a
 * request with a Redis cache or a MongoDB entitlement source ends by itself (or with `closeAuth()`),
 * a refused Redis is reported as refused at its URL, a missing client library is named with the
 * command that installs it, and an ioredis client made by another copy of ioredis is used, not
 * mistaken for an outage. Scripts run as separate Node processes against the built package, as a
 * user's script would.
 */
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Hono } from 'hono'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import '../../adapters/mongodb.ts'
import '../../adapters/upstash.ts'
import { closeAuth, stytchAuth } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer } from '../fixtures/mongo/index.ts'
import { redisOrSkip, startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)
const ROOT = resolve(import.meta.dirname, '../..')

let stytch: RunningStytchEmulator
let redis: RedisServer
beforeAll(async () => {
  stytch = await startStytchEmulator()
  if (availability.available) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
  await stytch?.close()
})

/** A script that authenticates one request through `stytchAuth()` and prints the status. */
const ONE_REQUEST = `
import { Hono } from 'hono'
import { closeAuth, stytchAuth } from 'ayz-auth'
const app = new Hono()
app.use('*', stytchAuth())
app.get('/', (c) => c.text('ok'))
const res = await app.request('/', { headers: { authorization: 'Bearer ' + process.env.TOKEN } })
console.log('status', res.status, await res.text())
if (process.env.CLOSE_AUTH) await closeAuth()
`

interface Ran {
  readonly code: number | null
  readonly ms: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `script` as an ES module in a Node process in `cwd`; kills it after `limitMs`. */
function runScript(
  script: string,
  env: Record<string, string>,
  { cwd = ROOT, limitMs = 15_000 } = {}
): Promise<Ran> {
  return new Promise((done) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('exit', (code) => {
      clearTimeout(killer)
      done({ code, ms: performance.now() - started, stdout, stderr })
    })
  })
}

describe.skipIf(!availability.available)('a script that used Redis', () => {
  it('ends by itself once its work is done, with Redis up (no closeAuth needed)', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const ran = await runScript(ONE_REQUEST, {
      ...stytch.env(),
      STYTCH_REDIS_URL: redis.url,
      TOKEN: sessionToken,
    })
    expect(ran.stdout).toContain('status 200')
    expect(ran.code).toBe(0)
    // Killed at 15 s otherwise; a hanging connection never lets it end.
    expect(ran.ms).toBeLessThan(5_000)
    expect((await redis.keys()).length).toBeGreaterThan(0)
  })

  it('ends by itself with Redis refusing connections, and says so once, naming the URL', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const refused = 'redis://127.0.0.1:1'
    const ran = await runScript(ONE_REQUEST, {
      ...stytch.env(),
      STYTCH_REDIS_URL: refused,
      TOKEN: sessionToken,
    })
    expect(ran.stdout).toContain('status 200')
    expect(ran.code).toBe(0)
    expect(ran.ms).toBeLessThan(5_000)
    expect(ran.stderr).toContain(
      `cache degraded: redis at ${refused}/0 unavailable (connection refused)`
    )
    expect(ran.stderr.match(/cache degraded/g)).toHaveLength(1)
    expect(ran.stderr).not.toMatch(/\n\s+at /)
  })

  it('closeAuth() closes the connections the library opened', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const admin = new Redis(redis.url)
    const clients = async () =>
      String(await admin.client('LIST'))
        .trim()
        .split('\n').length
    const before = await clients()
    const ran = await runScript(
      `${ONE_REQUEST}\nconsole.log('closed')\nsetTimeout(() => {}, 60_000).unref()`,
      { ...stytch.env(), STYTCH_REDIS_URL: redis.url, TOKEN: sessionToken, CLOSE_AUTH: '1' }
    )
    expect(ran.stdout).toContain('closed')
    expect(ran.code).toBe(0)
    expect(await clients()).toBe(before)
    admin.disconnect()
  })
})

describe('a script that used MongoDB', () => {
  it('ends once it calls closeAuth(), which closes the pool the library opened', async () => {
    const mongo = await startMongoWireServer()
    try {
      const { sessionToken } = await stytch.emulator.seed()
      const ran = await runScript(ONE_REQUEST, {
        ...stytch.env(),
        STYTCH_MONGODB_URI: mongo.uri,
        TOKEN: sessionToken,
        CLOSE_AUTH: '1',
      })
      expect(ran.stdout).toContain('status 200')
      expect(ran.code).toBe(0)
      expect(ran.ms).toBeLessThan(5_000)
    } finally {
      await mongo.close()
    }
  })
})

describe('configuration of the Redis cache', () => {
  it('a Redis URL without a scheme is a configuration error naming the variable', async () => {
    const logger = captureLogger()
    const app = new Hono()
    app.use('*', stytchAuth({ logger }))
    app.get('/', (c) => c.text('ok'))
    const res = await app.request('/', bearer('someTokenOfTheRightShape_00000000000000000'), {
      ...stytch.env(),
      STYTCH_REDIS_URL: 'localhost:6379',
    })
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: string; message: string }
    expect(body.error).toBe('configuration_error')
    expect(body.message).toContain('STYTCH_REDIS_URL must be a redis:// or rediss:// URL')
    expect(body.message).not.toContain('localhost:6379')
  })

  it('a refused Redis is logged at its URL without the password, even one holding @', async () => {
    const logger = captureLogger()
    const app = new Hono()
    app.use('*', stytchAuth({ logger, prefix: 'refused-with-password' }))
    app.get('/', (c) => c.text('ok'))
    const { sessionToken } = await stytch.emulator.seed()
    const res = await app.request('/', bearer(sessionToken), {
      ...stytch.env(),
      STYTCH_REDIS_URL: 'redis://:hunter@2secret@127.0.0.1:1',
    })
    expect(res.status).toBe(200)
    const logs = logger.lines.join('\n')
    expect(logs).toContain(
      'cache degraded: redis at redis://127.0.0.1:1/0 unavailable (connection refused)'
    )
    expect(logs).not.toMatch(/hunter|2secret/)
    const cluster = redisCache({ nodes: ['redis://:hunter@2secret@127.0.0.1:1', '127.0.0.1:2'] })
    expect(cluster.name).toBe('redis at cluster redis://127.0.0.1:1,127.0.0.1:2')
    expect(() => redisCache('http://:hunter@2secret@127.0.0.1:1')).toThrow(
      'redisCache(): the URL must start with redis:// or rediss:// (got http://127.0.0.1:1/)'
    )
    await closeAuth()
  })

  it('names `npm install ioredis` when ioredis is not installed, and the variable that chose Redis', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ayz-auth-no-ioredis-'))
    try {
      const modules = join(dir, 'node_modules')
      await mkdir(join(modules, '@hono'), { recursive: true })
      await mkdir(join(modules, 'ayz-auth'))
      await cp(join(ROOT, 'dist'), join(modules, 'ayz-auth', 'dist'), { recursive: true })
      await cp(join(ROOT, 'package.json'), join(modules, 'ayz-auth', 'package.json'))
      for (const name of ['hono', 'stytch', 'jose', 'valibot', '@hono/node-server'])
        await symlink(join(ROOT, 'node_modules', name), join(modules, name))
      await writeFile(join(dir, 'package.json'), '{"type":"module"}')
      const ran = await runScript(
        ONE_REQUEST,
        { ...stytch.env(), STYTCH_REDIS_URL: 'redis://127.0.0.1:6379', TOKEN: 'x'.repeat(44) },
        { cwd: dir }
      )
      expect(ran.stdout).toContain('status 500')
      expect(ran.stdout).toContain(
        'STYTCH_REDIS_URL is set, so ayz-auth/ioredis needs the ioredis package: run `npm install ioredis`'
      )
      expect(ran.stdout).not.toContain('STYTCH_CACHE')
      expect(ran.stderr.match(/configuration error/g)).toHaveLength(1)
      expect(ran.stderr).not.toMatch(/\n\s+at /)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('a value the client library refuses', () => {
  it.each([
    [
      { STYTCH_MONGODB_URI: 'not-a-mongo-uri:hunter2' },
      'STYTCH_MONGODB_URI is invalid: Invalid scheme, expected connection string to start with "mongodb://" or "mongodb+srv://"',
    ],
    [
      { MONGODB_URI: 'mongodb://user:hunter2@localhost:1/db?tls=maybe' },
      'MONGODB_URI is invalid: tls/ssl must be either "true" or "false"',
    ],
    [
      { STYTCH_REDIS_URL: 'redis://:hunter2@cache:notaport' },
      'STYTCH_REDIS_URL is invalid: Invalid URL',
    ],
    [
      { UPSTASH_REDIS_REST_URL: 'https://x', UPSTASH_REDIS_REST_TOKEN: 'hunter2' },
      // @upstash/redis quotes the URL it refuses: the message keeps the reason, not the value.
      'UPSTASH_REDIS_REST_URL is invalid: Upstash Redis client was passed an invalid URL. You should pass a URL starting with https. Received: "…". ',
    ],
  ])(
    'is a configuration error naming the variable, logged once, never echoed (%#)',
    async (vars, message) => {
      const logger = captureLogger()
      const app = new Hono()
      app.use('*', stytchAuth({ logger }))
      app.get('/', (c) => c.text('ok'))
      const { sessionToken } = await stytch.emulator.seed()
      for (let i = 0; i < 3; i++) {
        const res = await app.request('/', bearer(sessionToken), { ...stytch.env(), ...vars })
        expect(res.status).toBe(500)
        const body = await res.text()
        expect(JSON.parse(body)).toEqual({ error: 'configuration_error', message })
        expect(body).not.toContain('hunter2')
      }
      expect(logger.lines).toEqual([`error [ayz-auth] configuration error: ${message} `])
    }
  )
})

describe.skipIf(!availability.available)(
  'an ioredis client made by another copy of ioredis',
  () => {
    it('is used as a cache client (any object with get, set and del)', async () => {
      const real = new Redis(redis.url)
      // What another copy (or major version) of ioredis hands over: not an instance of ours.
      const foreign = {
        get: (key: string) => real.get(key),
        set: (key: string, value: string, mode: 'PX', ms: number) => real.set(key, value, mode, ms),
        del: (...keys: string[]) => real.del(...keys),
      }
      try {
        const logger = captureLogger()
        const app = new Hono()
        app.use(
          '*',
          stytchAuth({ ...stytchOptions(), cache: redisCache(foreign), logger, prefix: 'foreign' })
        )
        app.get('/', (c) => c.text('ok'))
        const { sessionToken } = await stytch.emulator.seed()
        expect((await app.request('/', bearer(sessionToken))).status).toBe(200)
        await new Promise((resolve) => setTimeout(resolve, 100))
        expect((await real.keys('foreign:session:*')).length).toBe(1)
        expect(logger.lines.join('\n')).not.toContain('degraded')
      } finally {
        real.disconnect()
      }
    })

    it('anything else fails at once with a message naming the problem', () => {
      expect(() => redisCache({ client: { get: () => null } as never })).toThrow(
        'redisCache(): `client` has no get, set and del methods: pass an ioredis Redis or Cluster'
      )
      expect(() => redisCache({} as never)).toThrow(
        'redisCache() needs an ioredis client, a redis:// URL, or options with a url'
      )
    })
  }
)

function stytchOptions() {
  return { projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url }
}
