/**
 * Issue 27, the items a fleet shows: app instances (separate processes; `stytchAuth()` configured
 * by environment, or with `cache: redisCache(…)` in code) sharing a real redis-server. A
 * verification racing a logout on another instance never writes the revoked session back (3);
 * `revokeSession(token)` purges the shared tier and every instance when Redis was given as
 * `cache: redisCache(url)` (4); a fleet waiter stops waiting when Redis dies (6); a mounted
 * `stytchAuth()` after `closeAuth()` hears revocations again and leaves nothing open (7). The
 * Stytch emulator answers through the real `stytch` SDK.
 */
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { closeAuth, revokeSession, stytchAuth, type AuthEnv } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import {
  redisOrSkip,
  sendOnce,
  startRedisServer,
  type RedisServer,
} from '../fixtures/redis/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'
import { startHeldProxy } from './held-proxy.ts'
import type { Instance } from './spawn-instance.ts'
import { spawnScript } from './spawn-script.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let stytch: RunningStytchEmulator
const started: { stop(): Promise<unknown> }[] = []
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(async () => {
  await closeAuth() // this process's connections first: Redis stopping under them is no outage
  for (const thing of started.reverse()) await thing.stop().catch(() => undefined)
  await stytch?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function redisServer(): Promise<RedisServer> {
  const redis = await startRedisServer()
  started.push(redis)
  return redis
}

/** An app instance in a child process: `test/adapters/app-instance.ts` (configured by environment) by default. */
async function instance(
  env: Record<string, string>,
  script = 'test/adapters/app-instance.ts'
): Promise<Instance> {
  const running = await spawnScript(script, { ...stytch.env(), STYTCH_LOG_LEVEL: 'ERROR', ...env })
  started.push(running)
  return running
}

/** The emulator's project, for an app in this process. */
const settings = () => ({ projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url })

const status = async (url: string, token: string, init: RequestInit = {}) =>
  (await fetch(url, { ...init, ...bearer(token) })).status

/** Polls `check` every 10 ms until it holds or `ms` have passed; the time it took, or `null`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number | null> {
  const begun = performance.now()
  for (;;) {
    if (await check()) return performance.now() - begun
    if (performance.now() - begun > ms) return null
    await sleep(10)
  }
}

/** Session entries in Redis that still hold the session `sessionId`, with their TTL in seconds. */
async function entriesHolding(redis: RedisServer, sessionId: string) {
  return (await redis.keys())
    .filter(({ key, value }) => key.includes(':session:') && value.toString().includes(sessionId))
    .map(({ key, ttlSeconds }) => ({ key, ttlSeconds }))
}

/**
 * Starts `make` (Redis servers, instances) while the file's first tests run: an instance takes
 * seconds to start, and each test needs its own. The test awaits what it made.
 */
function inAdvance<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  beforeAll(() => {
    if (!availability.available) return
    made = make()
    made.catch(() => undefined) // reported by the test that awaits it
  })
  return () => (made ??= make())
}

const raceFleet = inAdvance(async () => {
  const redis = await redisServer()
  // A's link to Redis is slow when the test says so: its commands then land after B's. Its
  // command timeout (5 s) outlasts the delay, so the write is late, not failed.
  const link = await startHeldProxy(redis.port)
  started.push({ stop: () => link.close() })
  const [a, b] = await Promise.all([
    instance(
      { STYTCH_REDIS_URL: link.url, AYZ_COMMAND_TIMEOUT_MS: '5000' },
      'test/adapters/race-instance.ts'
    ),
    instance({ STYTCH_REDIS_URL: redis.url }),
  ])
  return { redis, link, a, b }
})
const standaloneFleet = inAdvance(async () => {
  const redis = await redisServer()
  return { redis, other: await instance({ STYTCH_REDIS_URL: redis.url }) }
})
const waitingFleet = inAdvance(async () => {
  const redis = await redisServer()
  // A 4 s Stytch budget: the lock holder's call (1.5 s) fits in it, and a waiter that waits for
  // the whole budget is told apart from one that stops at Redis's 250 ms command timeout.
  const env = { STYTCH_REDIS_URL: redis.url, STYTCH_REQUEST_TIMEOUT: '4' }
  const [holder, waiter] = await Promise.all([instance(env), instance(env)])
  return { redis, holder, waiter }
})
const closingFleet = inAdvance(async () => {
  const redis = await redisServer()
  const other = await instance({ STYTCH_REDIS_URL: redis.url, STYTCH_CACHE_PREFIX: 'after_close' })
  return { redis, other }
})

describe.skipIf(!availability.available)('revocation across instances', () => {
  it('a verification racing a logout on another instance never writes the revoked session back to Redis (item 3)', async () => {
    const { redis, link, a, b } = await raceFleet()
    // A third instance, in this process, that has never seen the session: it reads Redis.
    const fresh = new Hono<AuthEnv>()
    fresh.use(
      '*',
      stytchAuth({ cache: redisCache(redis.url), logger: captureLogger(), ...settings() })
    )
    fresh.get('/me', (c) => c.text(c.var.auth.memberId))
    const { sessionToken, session } = await stytch.emulator.seed()
    const sessionId = session.member_session_id
    // B has the session in process memory (to log it out); the shared entry is gone, as when it
    // expired, so A verifies it with Stytch.
    expect(await status(`${b.url}/api/me`, sessionToken)).toBe(200)
    await redis.flushAll()

    const hung = stytch.emulator.injectFault(
      { kind: 'hang' },
      { endpoint: 'authenticate', times: 1 }
    )
    const asked = stytch.emulator.calls.authenticate
    const verifying = status(`${a.url}/api/me`, sessionToken)
    expect(
      await within(5_000, async () => stytch.emulator.calls.authenticate > asked)
    ).not.toBeNull()
    // Stytch says yes to A just before the logout; A's write is on its way when B logs out.
    link.hold()
    stytch.emulator.releaseHungRequests()
    hung.remove()
    expect(await within(5_000, async () => /SET[\s\S]*:session:/i.test(link.held()))).not.toBeNull()
    expect(await status(`${b.url}/api/logout`, sessionToken, { method: 'POST' })).toBe(204)
    link.release()
    // Verified just before the logout: either answer is right, never a 5xx.
    expect([200, 401]).toContain(await verifying)
    await sleep(300) // A's write has landed (and whatever A does about it)

    expect({
      'Redis entries holding the revoked session': await entriesHolding(redis, sessionId),
      'an instance that never saw the session': (await fresh.request('/me', bearer(sessionToken)))
        .status,
    }).toEqual({
      'Redis entries holding the revoked session': [],
      'an instance that never saw the session': 401,
    })
  }, 30_000)

  it('revokeSession(token) purges Redis and every instance when Redis was given as cache: redisCache(url) (item 4)', async () => {
    const { redis, other } = await standaloneFleet()
    for (const [name, value] of Object.entries(stytch.env())) vi.stubEnv(name, value)
    try {
      const app = new Hono<AuthEnv>()
      app.use('*', stytchAuth({ cache: redisCache(redis.url), logger: captureLogger() }))
      app.get('/me', (c) => c.text(c.var.auth.memberId))
      const { sessionToken, session } = await stytch.emulator.seed()
      expect((await app.request('/me', bearer(sessionToken))).status).toBe(200)
      expect(await entriesHolding(redis, session.member_session_id)).toHaveLength(1)
      expect(await status(`${other.url}/api/me`, sessionToken)).toBe(200) // now in its memory

      await revokeSession(sessionToken)
      const refusedAfter = await within(1_000, async () => {
        return (await status(`${other.url}/api/me`, sessionToken)) === 401
      })
      expect({
        'this process': (await app.request('/me', bearer(sessionToken))).status,
        'Redis entries holding the revoked session': await entriesHolding(
          redis,
          session.member_session_id
        ),
        'the other instance refuses it within 1 s': refusedAfter !== null,
      }).toEqual({
        'this process': 401,
        'Redis entries holding the revoked session': [],
        'the other instance refuses it within 1 s': true,
      })
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe.skipIf(!availability.available)('the fleet single flight when Redis dies (item 6)', () => {
  it('a waiter stops waiting for the lock holder once Redis fails: it answers within the command timeout, not timeoutMs', async () => {
    const { redis, holder, waiter } = await waitingFleet()
    const { sessionToken } = await stytch.emulator.seed()
    stytch.emulator.injectFault(
      { kind: 'latency', ms: 1_500 },
      { endpoint: 'authenticate', times: 1 }
    )
    const asked = stytch.emulator.calls.authenticate
    const begun = performance.now()
    const holding = status(`${holder.url}/api/me`, sessionToken).then((code) => ({
      code,
      ms: performance.now() - begun,
    }))
    expect(
      await within(5_000, async () => stytch.emulator.calls.authenticate > asked)
    ).not.toBeNull()
    const waiting = status(`${waiter.url}/api/me`, sessionToken).then((code) => ({
      code,
      ms: performance.now() - begun,
    }))
    await sleep(200) // the waiter found the lock taken and is polling for the holder's entry
    expect(stytch.emulator.calls.authenticate - asked).toBe(1)
    await redis.kill()
    const killedAt = performance.now() - begun
    const [held, waited] = await Promise.all([holding, waiting])
    expect({
      holder: held.code,
      waiter: waited.code,
      'waiter answered within 1 s of the kill (250 ms command timeout, 3× margin, one Stytch call)':
        waited.ms - killedAt < 1_000 ? true : `${Math.round(waited.ms - killedAt)} ms after`,
    }).toEqual({
      holder: 200,
      waiter: 200,
      'waiter answered within 1 s of the kill (250 ms command timeout, 3× margin, one Stytch call)': true,
    })
  }, 30_000)
})

describe.skipIf(!availability.available)(
  'a mounted stytchAuth() after closeAuth() (item 7)',
  () => {
    it('hears revocations from other instances again at once, and what it reopens a later closeAuth() closes', async () => {
      const { redis, other } = await closingFleet()
      const bindings = { ...stytch.env(), STYTCH_REDIS_URL: redis.url }
      const app = new Hono<AuthEnv>()
      app.use('*', stytchAuth({ logger: captureLogger(), prefix: 'after_close' }))
      app.get('/me', (c) => c.text(c.var.auth.memberId))
      const here = async (token: string) =>
        (await app.request('/me', bearer(token), bindings)).status
      const subscribers = async () => {
        const reply = await sendOnce(redis.port, ['PUBSUB', 'NUMSUB', 'after_close:purge'])
        return Number((reply as unknown[])[1])
      }
      const { sessionToken } = await stytch.emulator.seed()
      expect(await here(sessionToken)).toBe(200)
      expect(await status(`${other.url}/api/me`, sessionToken)).toBe(200)
      expect(await within(2_000, async () => (await subscribers()) === 2)).not.toBeNull()

      await closeAuth()
      // The app keeps serving (a request after closeAuth() opens what it needs again): a new
      // session reaches Redis, and the one it holds is still served.
      const later = await stytch.emulator.seed()
      expect(await here(later.sessionToken)).toBe(200)
      expect(await here(sessionToken)).toBe(200)
      await within(2_000, async () => (await subscribers()) === 2)
      expect(await status(`${other.url}/api/logout`, sessionToken, { method: 'POST' })).toBe(204)
      const refusedAfter = await within(1_000, async () => (await here(sessionToken)) === 401)

      await other.stop()
      await closeAuth()
      const clients = async () =>
        String(await sendOnce(redis.port, ['CLIENT', 'LIST']))
          .trim()
          .split('\n').length - 1 // the CLIENT LIST connection itself
      await within(2_000, async () => (await clients()) === 0)
      expect({
        'revocation from the other instance heard within 1 s': refusedAfter !== null,
        'connections left open at Redis after closeAuth()': await clients(),
      }).toEqual({
        'revocation from the other instance heard within 1 s': true,
        'connections left open at Redis after closeAuth()': 0,
      })
    }, 30_000)
  }
)
