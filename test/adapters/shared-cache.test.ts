import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import '../../adapters/ioredis.ts'
import '../../adapters/upstash.ts'
import { closeAuth, stytchAuth, type AuthEnv } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import {
  redisOrSkip,
  startRedisServer,
  startUpstashServer,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'
import { bearer, captureLogger, timed } from '../integration/harness.ts'
import { spawnInstance, type Instance } from './spawn-instance.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let stytch: RunningStytchEmulator
let redis: RedisServer
let upstash: UpstashServer
beforeAll(async () => {
  stytch = await startStytchEmulator()
  if (!availability.available) return
  redis = await startRedisServer()
  upstash = await startUpstashServer({ redisUrl: redis.url })
})
afterAll(async () => {
  await closeAuth() // the subscriptions first: Redis stopping under them is no outage to report
  await upstash?.close()
  await redis?.stop()
  await stytch?.close()
})
beforeEach(() => stytch.emulator.resetCalls())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!availability.available)('a shared Redis tier', () => {
  describe('two app instances (separate processes) sharing one redis-server', () => {
    let a: Instance
    let b: Instance
    const L1_TTL_SECONDS = 1
    beforeAll(async () => {
      const env = {
        ...stytch.env(),
        STYTCH_CACHE: 'redis',
        STYTCH_REDIS_URL: redis.url,
        STYTCH_CACHE_L1_TTL: String(L1_TTL_SECONDS),
        STYTCH_LOG_LEVEL: 'ERROR',
      }
      ;[a, b] = await Promise.all([spawnInstance(env), spawnInstance(env)])
    })
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()])
    })

    it('the second instance reads the RBAC policy the first fetched from Redis: no policy call', async () => {
      const first = await stytch.emulator.seed()
      expect((await fetch(`${a.url}/api/documents`, bearer(first.sessionToken))).status).toBe(200)
      const before = { ...stytch.emulator.calls }
      expect((await fetch(`${b.url}/api/documents`, bearer(first.sessionToken))).status).toBe(200)
      expect(stytch.emulator.calls.policy).toBe(before.policy)
      expect(stytch.emulator.calls.orgPolicy).toBe(before.orgPolicy)
      expect(stytch.emulator.calls.authenticate).toBe(before.authenticate)
    })

    it("the second instance's first request for a token the first verified makes no Stytch call", async () => {
      const { sessionToken, member } = await stytch.emulator.seed()
      expect(await (await fetch(`${a.url}/api/me`, bearer(sessionToken))).json()).toEqual({
        member: member.member_id,
      })
      expect(stytch.emulator.calls.authenticate).toBe(1)
      expect(await (await fetch(`${b.url}/api/me`, bearer(sessionToken))).json()).toEqual({
        member: member.member_id,
      })
      expect(stytch.emulator.calls.authenticate).toBe(1)
    })

    it('after revokeSession on A, B rejects the token within the L1 TTL', async () => {
      const { sessionToken } = await stytch.emulator.seed()
      expect((await fetch(`${a.url}/api/me`, bearer(sessionToken))).status).toBe(200)
      expect((await fetch(`${b.url}/api/me`, bearer(sessionToken))).status).toBe(200)
      expect(
        (await fetch(`${a.url}/api/logout`, { method: 'POST', ...bearer(sessionToken) })).status
      ).toBe(204)
      expect((await fetch(`${a.url}/api/me`, bearer(sessionToken))).status).toBe(401)
      await sleep(L1_TTL_SECONDS * 1000 + 100)
      expect((await fetch(`${b.url}/api/me`, bearer(sessionToken))).status).toBe(401)
    })
  })

  it('Redis keys carry the prefix and a TTL, and no key or value holds a raw token', async () => {
    await redis.flushAll()
    const app = appOn({ cache: 'redis', prefix: 'scan_test' })
    const tokens: string[] = []
    for (let i = 0; i < 5; i++) {
      const { sessionToken, sessionJwt } = await stytch.emulator.seed()
      tokens.push(sessionToken, sessionJwt)
      expect(
        (await app.request('/me', bearer(sessionToken), env({ STYTCH_REDIS_URL: redis.url })))
          .status
      ).toBe(200)
      expect(
        (await app.request('/me', bearer(sessionJwt), env({ STYTCH_REDIS_URL: redis.url }))).status
      ).toBe(200)
    }
    const keys = await redis.keys()
    expect(keys.length).toBe(10)
    for (const { key, ttlSeconds, value } of keys) {
      expect(key.startsWith('scan_test:session:')).toBe(true)
      expect(ttlSeconds).toBeGreaterThan(0)
      for (const token of tokens) {
        expect(key).not.toContain(token)
        expect(value.toString('utf8')).not.toContain(token)
      }
    }
  })

  it('a session read back from Redis carries the same rawSession and fields as the one Stytch verified', async () => {
    const app = new Hono<AuthEnv>()
    app.use(
      '*',
      stytchAuth({ logger: captureLogger(), cache: 'redis', l1Ttl: 0.01, prefix: 'raw_test' })
    )
    app.get('/raw', (c) => {
      const auth = c.var.auth
      return c.json({ json: auth.toJSON(), raw: auth.rawSession, spread: Object.keys({ ...auth }) })
    })
    const { sessionToken } = await stytch.emulator.seed()
    const send = async () =>
      (await app.request('/raw', bearer(sessionToken), env({ STYTCH_REDIS_URL: redis.url }))).json()
    const verified = (await send()) as { raw: { member_session?: unknown } }
    expect(verified.raw.member_session).toBeDefined()
    await sleep(50) // past l1Ttl: the next request reads the shared tier
    const before = stytch.emulator.calls.authenticate
    expect(await send()).toEqual(verified)
    expect(stytch.emulator.calls.authenticate).toBe(before)
  })

  it('Redis killed mid-run: served through Stytch without a 5xx, latency bounded, logged, recovering by itself', async () => {
    const logger = captureLogger()
    const app = appOn({ cache: 'redis', logger, l1Ttl: 0.05 })
    const send = (token: string) =>
      app.request('/me', bearer(token), env({ STYTCH_REDIS_URL: redis.url }))
    const { sessionToken } = await stytch.emulator.seed()
    expect((await send(sessionToken)).status).toBe(200)

    await redis.kill()
    const timings: number[] = []
    for (let i = 0; i < 20; i++) {
      const fresh = await stytch.emulator.seed()
      const { ms, value: res } = await timed(send(fresh.sessionToken))
      expect(res.status).toBe(200)
      timings.push(ms)
    }
    timings.sort((x, y) => x - y)
    // The command timeout is 250 ms and the circuit breaker answers at once after the first failure.
    expect(timings[Math.floor(timings.length * 0.99)]).toBeLessThan(250 + 150)
    expect(logger.lines.join('\n')).toContain(
      `cache degraded: redis at ${redis.url}/0 unavailable (connection refused)`
    )

    await redis.restart()
    await sleep(2300) // the breaker's cooldown, then the next command tries Redis again
    const after = await stytch.emulator.seed()
    expect((await send(after.sessionToken)).status).toBe(200)
    await sleep(100)
    expect((await redis.keys()).length).toBeGreaterThan(0)
    expect(logger.lines.some((line) => line.includes('cache recovered: redis'))).toBe(true)
  })

  describe('the Upstash endpoint failing: served through Stytch, no 5xx, recovering', () => {
    it.each([
      ['5xx', (u: UpstashServer) => u.faults.status(500)],
      ['401', (u: UpstashServer) => u.faults.unauthorized()],
      ['refused', (u: UpstashServer) => u.faults.refuse()],
    ] as const)('%s', async (_name, inject) => {
      const logger = captureLogger()
      const bindings = {
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
      }
      const app = appOn({ cache: 'upstash', logger, l1Ttl: 0.05 })
      const send = (token: string) => app.request('/me', bearer(token), env(bindings))
      await inject(upstash)
      try {
        for (let i = 0; i < 5; i++) {
          const { ms, value: res } = await timed(send((await stytch.emulator.seed()).sessionToken))
          expect(res.status).toBe(200)
          expect(ms).toBeLessThan(500 + 200)
        }
        expect(
          logger.lines.some((line) =>
            line.includes(`cache degraded: upstash at ${upstash.url} unavailable`)
          )
        ).toBe(true)
      } finally {
        await upstash.faults.clear()
      }
      await sleep(2100)
      const requestsBefore = upstash.requests
      expect((await send((await stytch.emulator.seed()).sessionToken)).status).toBe(200)
      expect(upstash.requests).toBeGreaterThan(requestsBefore)
    })
  })

  it('STYTCH_CACHE switches the backend with no code change', async () => {
    const bindings = {
      STYTCH_REDIS_URL: redis.url,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
    }
    const backends: Record<string, { redisKeys: number; upstashRequests: number }> = {}
    for (const backend of ['memory', 'redis', 'upstash']) {
      // The same app code, started afresh (a deploy) with another environment.
      const app = appOn({})
      await redis.flushAll()
      const upstashBefore = upstash.requests
      const { sessionToken } = await stytch.emulator.seed()
      const vars = env({
        ...bindings,
        STYTCH_CACHE: backend,
        STYTCH_CACHE_PREFIX: `switch_${backend}`,
      })
      expect((await app.request('/me', bearer(sessionToken), vars)).status).toBe(200)
      backends[backend] = {
        redisKeys: (await redis.keys()).length,
        upstashRequests: upstash.requests - upstashBefore,
      }
    }
    // Upstash writes land in the same redis-server behind the REST endpoint.
    expect(backends).toEqual({
      memory: { redisKeys: 0, upstashRequests: 0 },
      redis: { redisKeys: 1, upstashRequests: 0 },
      upstash: { redisKeys: 1, upstashRequests: expect.any(Number) },
    })
    expect(backends['upstash']!.upstashRequests).toBeGreaterThan(0)
  })
})

/** Stytch settings plus `extra`, as bindings of `app.request()` (the library reads them like Workers bindings). */
function env(extra: Record<string, string>): Record<string, string> {
  return { ...stytch.env(), ...extra }
}

/** An app on the shared tier; its log is kept (not printed) unless a `logger` is given. */
function appOn(options: Parameters<typeof stytchAuth>[0]): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', stytchAuth({ logger: captureLogger(), ...options }))
  app.get('/me', (c) => c.json({ member: c.var.auth.memberId }))
  return app
}
