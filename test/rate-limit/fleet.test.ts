/**
 * `rateLimit()` on shared stores, through the middleware, against real servers: exactness on a
 * redis-server, a Redis Cluster (3 masters, 3 replicas), Upstash's REST API (the fixture in front of
 * the redis-server, with the real `@upstash/redis`) and across three processes; a blocked key that
 * costs the store nothing; and a store that dies mid-run, with one instance and with three.
 */
import { Redis as Upstash } from '@upstash/redis'
import { Hono } from 'hono'
import { Cluster, Redis } from 'ioredis'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { upstashCache } from '../../adapters/upstash.ts'
import type { CacheStore } from '../../src/cache/cache-store.ts'
import { rateLimit, stytchAuth } from '../../src/index.ts'
import { createAuthContext, testVerifier } from '../../src/testing/index.ts'
import {
  redisOrSkip,
  startRedisCluster,
  startRedisServer,
  startUpstashServer,
  type RedisCluster,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'
import { captureLogger } from '../integration/harness.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let redis: RedisServer
let cluster: RedisCluster
let upstash: UpstashServer
let redisClient: Redis
let clusterClient: Cluster
beforeAll(async () => {
  if (!availability.available) return
  ;[redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster()])
  upstash = await startUpstashServer({ redisUrl: redis.url })
  redisClient = new Redis(redis.url)
  clusterClient = new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })))
})
afterAll(async () => {
  await Promise.all([redisClient?.quit(), clusterClient?.quit()])
  await upstash?.close()
  await Promise.all([redis?.stop(), cluster?.stop()])
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let addresses = 0
/** An address no other request of this file uses. */
const freshIp = () => `203.0.${(++addresses >> 8) & 255}.${addresses & 255}`
const fromIp = (ip: string): RequestInit => ({ headers: { 'x-forwarded-for': ip } })
const statuses = (responses: Response[]) => responses.map((response) => response.status).sort()

/** An app whose `GET /` is limited by client IP (as a proxy reports it) on `store`. */
function limitedApp(limit: number, window: number, store: CacheStore | undefined) {
  const app = new Hono()
  app.get(
    '/',
    rateLimit({ by: 'ip', trustedProxies: 1, limit, window, ...(store ? { store } : {}) }),
    (c) => c.text('ok')
  )
  return app
}

/** Each store through the middleware (undefined: in process). */
const stores: [string, () => CacheStore | undefined][] = [
  ['in process', () => undefined],
  ['a real redis-server', () => redisCache({ client: redisClient })],
  ['a real Redis Cluster (3 masters, 3 replicas)', () => redisCache({ client: clusterClient })],
  [
    'Upstash (the REST fixture, the real @upstash/redis)',
    () =>
      upstashCache({
        client: new Upstash({ url: upstash.url, token: upstash.token, enableTelemetry: false }),
      }),
  ],
]

describe.skipIf(!availability.available)('exact through the middleware, on every store', () => {
  it.each(stores)(
    '%s: a burst of 3 × limit concurrent requests on a fresh key gets exactly limit 200s',
    async (_name, store) => {
      const app = limitedApp(20, 60, store())
      const ip = freshIp()
      const burst = await Promise.all(
        Array.from({ length: 60 }, () => app.request('/', fromIp(ip)))
      )
      expect(statuses(burst)).toEqual([...Array(20).fill(200), ...Array(40).fill(429)])
      const remaining = burst
        .filter((response) => response.status === 200)
        .map((response) => Number(/;r=(\d+);/.exec(response.headers.get('ratelimit') ?? '')?.[1]))
      expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    }
  )

  it('on every store, a request sent Retry-After seconds after a 429 is admitted', async () => {
    await Promise.all(
      stores.map(async ([name, store]) => {
        const app = limitedApp(2, 2, store()) // a unit a second
        const ip = freshIp()
        await Promise.all([app.request('/', fromIp(ip)), app.request('/', fromIp(ip))])
        const refused = await app.request('/', fromIp(ip))
        expect([name, refused.status]).toEqual([name, 429])
        const wait = Number(refused.headers.get('retry-after'))
        expect(wait).toBeGreaterThanOrEqual(1)
        await sleep(wait * 1000)
        expect([name, (await app.request('/', fromIp(ip))).status]).toEqual([name, 200])
      })
    )
  })
})

describe.skipIf(!availability.available)('a key known to be blocked', () => {
  /** Calls per command since the last `CONFIG RESETSTAT`. */
  async function commandCalls(): Promise<Record<string, number>> {
    const info = String(await redisClient.info('commandstats'))
    return Object.fromEntries(
      [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name = '', calls]) => [
        name,
        Number(calls),
      ])
    )
  }
  const scripts = async () => {
    const calls = await commandCalls()
    return (calls.eval ?? 0) + (calls.evalsha ?? 0)
  }

  it('makes no store command until it may pass again', async () => {
    const client = new Redis(redis.url)
    try {
      const app = limitedApp(2, 2, redisCache({ client })) // a unit a second
      const ip = freshIp()
      await Promise.all([app.request('/', fromIp(ip)), app.request('/', fromIp(ip))])
      const refused = await app.request('/', fromIp(ip))
      expect(refused.status).toBe(429)
      await redisClient.config('RESETSTAT')
      const flood = await Promise.all(
        Array.from({ length: 50 }, () => app.request('/', fromIp(ip)))
      )
      expect(statuses(flood)).toEqual(Array(50).fill(429))
      expect(flood[0]?.headers.get('ratelimit')).toMatch(/^"default";r=0;t=1$/)
      expect(await scripts()).toBe(0)
      // Another key still asks the store.
      await app.request('/', fromIp(freshIp()))
      expect(await scripts()).toBe(1)
      await sleep(Number(refused.headers.get('retry-after')) * 1000)
      expect((await app.request('/', fromIp(ip))).status).toBe(200)
      expect(await scripts()).toBe(2)
    } finally {
      await client.quit()
    }
  })
})

describe.skipIf(!availability.available)('a store that dies mid-run, one instance', () => {
  it("a client that hangs is bounded by the store's timeout: limited in process, one WARN, then shared again", async () => {
    const dying = await startRedisServer()
    // A client of the user's own, which queues commands while disconnected (it hangs, not fails).
    const client = new Redis(dying.url)
    client.on('error', () => {}) // it reports the refused connections; the limiter's WARN says enough
    const logger = captureLogger()
    try {
      const app = new Hono()
      app.use(
        '*',
        stytchAuth({
          verifier: testVerifier(createAuthContext()),
          entitlements: null,
          optional: true,
          logger,
        })
      )
      const store = redisCache({ client, commandTimeoutMs: 200, cooldownMs: 300 })
      app.get('/', rateLimit({ by: 'ip', trustedProxies: 1, limit: 3, window: 60, store }), (c) =>
        c.text('ok')
      )
      const send = (ip: string, count: number) =>
        Promise.all(Array.from({ length: count }, () => app.request('/', fromIp(ip))))
      expect(statuses(await send(freshIp(), 4))).toEqual([200, 200, 200, 429])

      await dying.kill()
      const started = performance.now()
      const during = await send(freshIp(), 6)
      expect(performance.now() - started).toBeLessThan(3 * 200 + 1000)
      // Limited in process: never unlimited, never a 5xx or a 401.
      expect(statuses(during)).toEqual([200, 200, 200, 429, 429, 429])
      const warnings = () => logger.lines.filter((line) => line.includes('rate limit degraded'))
      expect(warnings()).toHaveLength(1)
      expect(warnings()[0]).toMatch(/^warn \[ayz-auth\] rate limit degraded: redis unavailable/)
      await send(freshIp(), 6)
      expect(warnings()).toHaveLength(1)

      await dying.restart()
      await sleep(400) // past the cooldown: the next decision tries the store again (a trial)
      expect((await app.request('/', fromIp(freshIp()))).status).toBe(200)
      expect(logger.lines.filter((line) => line.includes('rate limit recovered'))).toHaveLength(1)
      const ip = freshIp()
      expect(statuses(await send(ip, 4))).toEqual([200, 200, 200, 429])
      // The budget is in Redis again, under the digest of the identity (hash-tagged).
      const digest = createHash('sha256').update(`ip:${ip}`).digest('hex')
      expect((await dying.keys()).map(({ key }) => key)).toContain(
        `ayz_auth:rl:default:{${digest}}`
      )
    } finally {
      client.disconnect()
      await dying.stop()
    }
  })
})

/** A `limited-instance.ts` process: its URL and the JSON lines it printed. */
async function startInstance(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/rate-limit/limited-instance.ts'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  const printed: { level?: string; message?: string; port?: number }[] = []
  let errors = ''
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as (typeof printed)[number]
      printed.push(parsed)
      if (parsed.port) resolve(parsed.port)
    })
    child.once('exit', (code) => reject(new Error(`instance exited (${code}): ${errors}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    said: (level: string, text: string) =>
      printed.filter((line) => line.level === level && line.message?.includes(text)).length,
    stop: () => child.exitCode === null && child.kill('SIGKILL'),
  }
}

describe.skipIf(!availability.available)('three processes sharing one redis-server', () => {
  let shared: RedisServer
  let instances: Awaited<ReturnType<typeof startInstance>>[] = []
  beforeAll(async () => {
    if (!availability.available) return
    shared = await startRedisServer()
    instances = await Promise.all(
      [1, 2, 3].map(() => startInstance({ REDIS_URL: shared.url, LIMIT: '5' }))
    )
  })
  afterAll(async () => {
    for (const instance of instances) instance.stop()
    await shared?.stop()
  })

  /** `count` requests with `token` to each instance at once: their statuses, per instance. */
  const burst = (token: string, count: number) =>
    Promise.all(
      instances.map(async ({ url }) =>
        (
          await Promise.all(
            Array.from({ length: count }, () =>
              fetch(`${url}/api/limited`, { headers: { authorization: `Bearer ${token}` } })
            )
          )
        ).map((response) => response.status)
      )
    )
  const admitted = (perInstance: number[][]) =>
    perInstance.flat().filter((status) => status === 200).length

  it('a burst of 3 × limit from three processes at once gets exactly limit 200s', async () => {
    const perInstance = await burst('burst-token', 5)
    expect(admitted(perInstance)).toBe(5)
    expect(new Set(perInstance.flat())).toEqual(new Set([200, 429]))
  })

  it('redis-server killed: each limits in process (one WARN each, no 5xx, no 401, never unlimited); shared again when it returns', async () => {
    await shared.kill()
    const during = await burst('outage-token', 8)
    // Each instance enforces the limit on its own: 3 × 5 in all, and never more.
    expect(during.map((statuses) => statuses.filter((status) => status === 200).length)).toEqual([
      5, 5, 5,
    ])
    expect(new Set(during.flat())).toEqual(new Set([200, 429]))
    expect(instances.map((instance) => instance.said('warn', 'rate limit degraded'))).toEqual([
      1, 1, 1,
    ])

    await shared.restart()
    // Each instance goes back to the store after its breaker's cooldown (300 ms): the first
    // decision that reaches it says so once.
    for (const instance of instances) {
      const deadline = Date.now() + 10_000
      while (instance.said('info', 'rate limit recovered') === 0 && Date.now() < deadline) {
        await fetch(`${instance.url}/api/limited`, { headers: { authorization: 'Bearer warm-up' } })
        await sleep(100)
      }
    }
    expect(instances.map((instance) => instance.said('info', 'rate limit recovered'))).toEqual([
      1, 1, 1,
    ])
    expect(admitted(await burst('after-token', 5))).toBe(5)
    expect(instances.map((instance) => instance.said('warn', 'rate limit degraded'))).toEqual([
      1, 1, 1,
    ])
  })
})
