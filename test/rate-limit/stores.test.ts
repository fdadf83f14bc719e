import { Redis as Upstash } from '@upstash/redis'
import fc from 'fast-check'
import { Cluster, Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { upstashCache } from '../../adapters/upstash.ts'
import type { CacheStore } from '../../src/cache/cache-store.ts'
import { MemoryCache } from '../../src/cache/memory-cache.ts'
import { emissionIntervalUs } from '../../src/rate-limit/emission-interval.ts'
import { decideGcra } from '../../src/rate-limit/gcra.ts'
import { gcraScript } from '../../src/rate-limit/gcra-script.ts'
import { hashTagged } from '../../src/rate-limit/hash-tagged.ts'
import { InProcessRateLimits } from '../../src/rate-limit/in-process-rate-limits.ts'
import type { RateLimitDecision } from '../../src/rate-limit/rate-limit-decision.ts'
import type { RateLimitRequest } from '../../src/rate-limit/rate-limit-request.ts'
import {
  redisOrSkip,
  sendOnce,
  startRedisCluster,
  startRedisServer,
  startUpstashServer,
  type RedisCluster,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

type Consume = (key: string, request: RateLimitRequest) => Promise<RateLimitDecision>

let redis: RedisServer
let cluster: RedisCluster
let upstash: UpstashServer
/** A plain client on the redis-server, for the stores and for looking at what they stored. */
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
const freshKey = () => `ayz:rl:test:${randomUUID()}`
const upstashClient = () =>
  new Upstash({ url: upstash.url, token: upstash.token, enableTelemetry: false })

function consumeOf(store: CacheStore): Consume {
  const { consume } = store
  if (!consume) throw new Error(`${store.name ?? 'the store'} has no consume`)
  return consume.bind(store)
}

/** Each store: a name, how to make its `consume`, whether it can run here. */
const stores: [string, () => Consume, boolean][] = [
  [
    'in process (InProcessRateLimits)',
    () => {
      const limits = new InProcessRateLimits()
      return (key, request) => limits.consume(key, request)
    },
    true,
  ],
  ['memoryCache()', () => consumeOf(new MemoryCache()), true],
  [
    'redisCache + a real redis-server',
    () => consumeOf(redisCache({ client: redisClient })),
    availability.available,
  ],
  [
    'redisCache + a real Redis Cluster (3 masters, 3 replicas)',
    () => consumeOf(redisCache({ client: clusterClient })),
    availability.available,
  ],
  [
    'upstashCache + the REST server + the real @upstash/redis client',
    () => consumeOf(upstashCache({ client: upstashClient() })),
    availability.available,
  ],
]

describe.each(stores)('rate limits: %s', (_name, create, available) => {
  let consume: Consume
  beforeAll(() => {
    if (available) consume = create()
  })

  it.skipIf(!available)(
    'a burst of 3 × limit concurrent requests on a fresh key admits exactly limit',
    async () => {
      const key = freshKey()
      const request = { limit: 25, windowMs: 60_000, cost: 1 }
      const decisions = await Promise.all(Array.from({ length: 75 }, () => consume(key, request)))
      const allowed = decisions.filter((decision) => decision.allowed)
      expect(allowed).toHaveLength(25)
      // Each admission saw the one before it: every count of units left, once.
      expect(allowed.map(({ remaining }) => remaining).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 25 }, (_, i) => i)
      )
      for (const denied of decisions.filter((decision) => !decision.allowed)) {
        expect(denied.remaining).toBe(0)
        expect(denied.retryAfterMs).toBeGreaterThan(0)
        expect(denied.retryAfterMs).toBeLessThanOrEqual(2400) // one unit: 60 s / 25
      }
    }
  )

  it.skipIf(!available)(
    'remaining counts whole units left; reset is the time to the next unit at 0, else until full',
    async () => {
      const key = freshKey()
      const request = { limit: 3, windowMs: 30_000, cost: 1 } // a unit every 10 s
      const startedAt = Date.now()
      const decisions: RateLimitDecision[] = []
      for (let i = 0; i < 4; i++) decisions.push(await consume(key, request))
      // Time passed between the first decision and the others, at most.
      const elapsed = Date.now() - startedAt + 2
      const [first, second, third, fourth] = decisions
      expect(first).toEqual({ allowed: true, remaining: 2, resetMs: 10_000, retryAfterMs: 0 })
      expect(second).toMatchObject({ allowed: true, remaining: 1, retryAfterMs: 0 })
      expect(second?.resetMs).toBeGreaterThanOrEqual(20_000 - elapsed) // until full
      expect(second?.resetMs).toBeLessThanOrEqual(20_000)
      expect(third).toMatchObject({ allowed: true, remaining: 0, retryAfterMs: 0 })
      expect(third?.resetMs).toBeGreaterThanOrEqual(10_000 - elapsed) // until the next unit
      expect(third?.resetMs).toBeLessThanOrEqual(10_000)
      expect(fourth).toMatchObject({ allowed: false, remaining: 0 })
      expect(fourth?.retryAfterMs).toBe(fourth?.resetMs)
      expect(fourth?.retryAfterMs).toBeGreaterThanOrEqual(10_000 - elapsed)
      expect(fourth?.retryAfterMs).toBeLessThanOrEqual(10_000)
      // As headers: RateLimit t and Retry-After in whole seconds, rounded up.
      const seconds = (ms = NaN) => Math.ceil(ms / 1000)
      expect(decisions.map((decision) => seconds(decision.resetMs))).toEqual([10, 20, 10, 10])
    }
  )

  it.skipIf(!available)(
    'after a denial, waiting Retry-After (retryAfterMs rounded up to seconds) admits the next request',
    async () => {
      const key = freshKey()
      const request = { limit: 2, windowMs: 2000, cost: 1 } // a unit every second
      expect((await consume(key, request)).allowed).toBe(true)
      expect((await consume(key, request)).allowed).toBe(true)
      const denied = await consume(key, request)
      expect(denied.allowed).toBe(false)
      expect(denied.retryAfterMs).toBeGreaterThan(0)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(1000)
      const retryAfterSeconds = Math.ceil(denied.retryAfterMs / 1000)
      expect(retryAfterSeconds).toBe(1)
      await sleep(retryAfterSeconds * 1000)
      expect(await consume(key, request)).toMatchObject({ allowed: true, remaining: 0 })
    }
  )

  it.skipIf(!available)('a request may cost several units; denied, it spends none', async () => {
    const key = freshKey()
    const costing = (cost: number) => ({ limit: 10, windowMs: 10_000, cost }) // a unit a second
    const startedAt = Date.now()
    expect(await consume(key, costing(4))).toEqual({
      allowed: true,
      remaining: 6,
      resetMs: 4000,
      retryAfterMs: 0,
    })
    expect(await consume(key, costing(4))).toMatchObject({ allowed: true, remaining: 2 })
    const denied = await consume(key, costing(4))
    const elapsed = Date.now() - startedAt + 2
    expect(denied).toMatchObject({ allowed: false, remaining: 2 })
    expect(denied.retryAfterMs).toBeGreaterThanOrEqual(2000 - elapsed) // two units short
    expect(denied.retryAfterMs).toBeLessThanOrEqual(2000)
    expect(denied.resetMs).toBeGreaterThanOrEqual(8000 - elapsed) // until full, as 2 are left
    expect(denied.resetMs).toBeLessThanOrEqual(8000)
    expect(await consume(key, costing(2))).toMatchObject({ allowed: true, remaining: 0 })
  })

  it.skipIf(!available)(
    'a cost above the limit is never satisfiable, and spends nothing',
    async () => {
      const key = freshKey()
      expect(await consume(key, { limit: 10, windowMs: 10_000, cost: 11 })).toEqual({
        allowed: false,
        remaining: 10,
        resetMs: 0,
        retryAfterMs: Infinity,
      })
      expect(await consume(key, { limit: 10, windowMs: 10_000, cost: 10 })).toMatchObject({
        allowed: true,
        remaining: 0,
      })
    }
  )

  it.skipIf(!available)(
    'denied requests change nothing: hammering a blocked key does not push its retry further',
    async () => {
      const key = freshKey()
      const request = { limit: 2, windowMs: 60_000, cost: 1 } // a unit every 30 s
      const startedAt = Date.now()
      await Promise.all([consume(key, request), consume(key, request)])
      const denials = await Promise.all(Array.from({ length: 20 }, () => consume(key, request)))
      const elapsed = Date.now() - startedAt + 2
      for (const denied of denials) {
        expect(denied.allowed).toBe(false)
        expect(denied.retryAfterMs).toBeGreaterThanOrEqual(30_000 - elapsed)
        expect(denied.retryAfterMs).toBeLessThanOrEqual(30_000)
      }
    }
  )

  it.skipIf(!available)(
    'a negative cost gives units back (a refund), up to a full budget',
    async () => {
      const key = freshKey()
      const costing = (cost: number) => ({ limit: 3, windowMs: 60_000, cost })
      await Promise.all([1, 2, 3].map(() => consume(key, costing(1))))
      expect(await consume(key, costing(1))).toMatchObject({ allowed: false })
      expect(await consume(key, costing(-1))).toMatchObject({ allowed: true, remaining: 1 })
      expect(await consume(key, costing(1))).toMatchObject({ allowed: true, remaining: 0 })
      expect(await consume(key, costing(-10))).toMatchObject({
        allowed: true,
        remaining: 3,
        resetMs: 0,
      })
      expect(await consume(key, costing(3))).toMatchObject({ allowed: true, remaining: 0 })
    }
  )

  it.skipIf(!available)('a new limit for the same key applies to its next request', async () => {
    const perMinute = (limit: number) => ({ limit, windowMs: 60_000, cost: 1 })
    // Down: 6 of 10 spent (36 s of the window); at 3 per minute that leaves room for one more.
    const key = freshKey()
    await Promise.all(Array.from({ length: 6 }, () => consume(key, perMinute(10))))
    expect(await consume(key, perMinute(3))).toMatchObject({ allowed: true, remaining: 0 })
    const denied = await consume(key, perMinute(3))
    expect(denied.allowed).toBe(false)
    expect(denied.retryAfterMs).toBeGreaterThan(15_000) // 16 s: the next unit of 20 s
    expect(denied.retryAfterMs).toBeLessThanOrEqual(16_000)
    // Up: exhausted at 2 per minute (30 s to wait); at 60 per minute the next unit is 1 s away.
    const upgraded = freshKey()
    await Promise.all([consume(upgraded, perMinute(2)), consume(upgraded, perMinute(2))])
    expect((await consume(upgraded, perMinute(2))).retryAfterMs).toBeGreaterThan(29_000)
    const sooner = await consume(upgraded, perMinute(60))
    expect(sooner.allowed).toBe(false)
    expect(sooner.retryAfterMs).toBeLessThanOrEqual(1000)
  })
})

describe.skipIf(!availability.available)('rate limits on Redis', () => {
  /** Calls per command since the last `CONFIG RESETSTAT`, from `INFO commandstats`. */
  async function commandCalls(): Promise<Record<string, number>> {
    const info = String(await redisClient.info('commandstats'))
    return Object.fromEntries(
      [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name = '', calls]) => [
        name,
        Number(calls),
      ])
    )
  }

  it('the script is the arithmetic, decision for decision, stored value for stored value', async () => {
    const step = fc.record({
      advanceUs: fc.integer({ min: 0, max: 3_000_000 }),
      limit: fc.integer({ min: 1, max: 20 }),
      windowMs: fc.integer({ min: 1000, max: 20_000 }),
      cost: fc.integer({ min: -6, max: 22 }),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const key = hashTagged(freshKey())
        let tatUs: number | undefined
        let aheadUs = 0
        for (const { advanceUs, ...request } of steps) {
          // Never behind real time, so Redis never expires a key the arithmetic still holds.
          aheadUs += advanceUs
          const nowUs = Date.now() * 1000 + aheadUs
          const args = [emissionIntervalUs(request), request.limit, request.cost, nowUs]
          const reply = await redisClient.eval(gcraScript.plain.source, 1, key, ...args.map(String))
          const { decision, newTatUs } = decideGcra(nowUs, tatUs, request)
          tatUs = newTatUs ?? tatUs
          // The decision's milliseconds, back in the script's whole microseconds.
          const inUs = (ms: number) => (ms === Infinity ? -1 : Math.round(ms * 1000))
          expect(reply).toEqual([
            Number(decision.allowed),
            decision.remaining,
            inUs(decision.resetMs),
            inUs(decision.retryAfterMs),
          ])
          const stored = await redisClient.get(key)
          if (tatUs !== undefined && tatUs > nowUs) expect(Number(stored)).toBe(tatUs)
          // A refund to a full budget removes the key; the arithmetic's TAT is then now, as good as absent.
          if (tatUs === nowUs) expect(stored).toBeNull()
        }
      }),
      { numRuns: 40 }
    )
  })

  it('decides by the server clock: instances whose clocks disagree by 2 hours share one budget', async () => {
    const consume = consumeOf(redisCache({ client: redisClient }))
    const key = freshKey()
    const request = { limit: 2, windowMs: 60_000, cost: 1 }
    const hour = 3_600_000
    const realNow = Date.now()
    const decisions: RateLimitDecision[] = []
    // This process's clock as two instances would have it: an hour ahead, an hour behind.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      for (const skew of [hour, -hour, hour]) {
        vi.setSystemTime(realNow + skew)
        decisions.push(await consume(key, request))
      }
    } finally {
      vi.useRealTimers()
    }
    expect(decisions.map(({ allowed, remaining }) => [allowed, remaining])).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    expect(decisions[2]?.retryAfterMs).toBeGreaterThan(29_000)
    expect(decisions[2]?.retryAfterMs).toBeLessThanOrEqual(30_000)
    // The stored arrival time is the server's now + 60 s, whatever the callers' clocks said.
    const [seconds, micros] = await redisClient.time()
    const serverNowUs = Number(seconds) * 1_000_000 + Number(micros)
    const storedUs = Number(await redisClient.get(hashTagged(key)))
    expect(storedUs - serverNowUs).toBeGreaterThan(59_000_000)
    expect(storedUs - serverNowUs).toBeLessThanOrEqual(60_000_000)
  })

  it('keeps one hash-tagged key per identity, expiring when its budget is full again', async () => {
    const consume = consumeOf(redisCache({ client: redisClient }))
    const key = freshKey()
    await consume(key, { limit: 4, windowMs: 8000, cost: 3 }) // 6 s until full
    const stored = (await redis.keys()).filter(({ key: name }) => name.includes(key.slice(-36)))
    expect(stored.map(({ key: name }) => name)).toEqual([
      `ayz:rl:test:{${key.slice('ayz:rl:test:'.length)}}`,
    ])
    const ttlMs = await redisClient.pttl(hashTagged(key))
    expect(ttlMs).toBeGreaterThan(5000)
    expect(ttlMs).toBeLessThanOrEqual(6000)
    // A denied request and a cost above the limit write nothing; a fresh key stays absent.
    const untouched = freshKey()
    await consume(untouched, { limit: 4, windowMs: 8000, cost: 5 })
    expect(await redisClient.exists(hashTagged(untouched))).toBe(0)
  })

  it('takes one round trip per decision: EVAL once, then EVALSHA; EVAL again after NOSCRIPT', async () => {
    const client = new Redis(redis.url)
    try {
      await client.ping() // connected before counting
      const consume = consumeOf(redisCache({ client }))
      const key = freshKey()
      await redisClient.config('RESETSTAT')
      for (let i = 0; i < 10; i++) await consume(key, { limit: 5, windowMs: 60_000, cost: 1 })
      // Nothing but the scripts: GET, TIME and SET are the script's own (5 admissions).
      expect(await commandCalls()).toEqual({
        'config|resetstat': 1,
        eval: 1,
        evalsha: 9,
        time: 10,
        get: 10,
        set: 5,
      })
      await redisClient.script('FLUSH')
      await redisClient.config('RESETSTAT')
      for (let i = 0; i < 3; i++) await consume(key, { limit: 5, windowMs: 60_000, cost: 0 })
      const calls = await commandCalls()
      expect([calls.evalsha, calls.eval]).toEqual([3, 1]) // the first EVALSHA answered NOSCRIPT
    } finally {
      await client.quit()
    }
  })

  it('on Upstash: one HTTP request per decision, EVALSHA after the first, EVAL again after NOSCRIPT', async () => {
    const consume = consumeOf(upstashCache({ client: upstashClient() }))
    const key = freshKey()
    await redisClient.config('RESETSTAT')
    const before = upstash.requests
    for (let i = 0; i < 5; i++) await consume(key, { limit: 3, windowMs: 60_000, cost: 1 })
    expect(upstash.requests - before).toBe(5)
    const calls = await commandCalls()
    expect([calls.eval, calls.evalsha, calls.time]).toEqual([1, 4, undefined]) // no TIME: the caller's clock
    await redisClient.script('FLUSH')
    expect(await consume(key, { limit: 3, windowMs: 60_000, cost: 1 })).toMatchObject({
      allowed: false,
    })
  })

  it("on Upstash the caller's clock decides; a caller an hour ahead blocks the key for one window at most", async () => {
    const consume = consumeOf(upstashCache({ client: upstashClient() }))
    const key = freshKey()
    const request = { limit: 1, windowMs: 1000, cost: 1 }
    const realNow = Date.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(realNow + 3_600_000)
      expect((await consume(key, request)).allowed).toBe(true)
    } finally {
      vi.useRealTimers()
    }
    const storedUs = Number(await redisClient.get(hashTagged(key)))
    expect(storedUs).toBe((realNow + 3_600_000 + 1000) * 1000)
    expect(await redisClient.pttl(hashTagged(key))).toBeLessThanOrEqual(1000)
    // An instance with the right time sees the key busy for an hour, until the key expires.
    const onTime = await consume(key, request)
    expect(onTime.allowed).toBe(false)
    expect(onTime.retryAfterMs).toBeGreaterThan(3_590_000)
    await sleep(1100)
    expect((await consume(key, request)).allowed).toBe(true)
  })

  it('on a Cluster, every master decides exactly, the first time (NOSCRIPT there) and after', async () => {
    const consume = consumeOf(redisCache({ client: clusterClient }))
    // One key per master: CLUSTER SLOTS says which slots each serves.
    const port = cluster.nodes[0]?.port ?? 0
    const ranges = (await sendOnce(port, ['CLUSTER', 'SLOTS'])) as [number, number, unknown][]
    const identities = new Map<number, string>()
    while (identities.size < ranges.length) {
      const identity = randomUUID()
      const slot = Number(await sendOnce(port, ['CLUSTER', 'KEYSLOT', `{${identity}}`]))
      const range = ranges.findIndex(([first, last]) => slot >= first && slot <= last)
      if (!identities.has(range)) identities.set(range, identity)
    }
    expect(identities.size).toBe(3)
    const request = { limit: 10, windowMs: 60_000, cost: 1 }
    for (const round of ['first', 'second']) {
      const admitted = await Promise.all(
        [...identities.values()].map(async (identity) => {
          const key = `ayz:rl:${round}:${identity}`
          const decisions = await Promise.all(
            Array.from({ length: 15 }, () => consume(key, request))
          )
          return decisions.filter(({ allowed }) => allowed).length
        })
      )
      expect(admitted).toEqual([10, 10, 10])
    }
  })
})
