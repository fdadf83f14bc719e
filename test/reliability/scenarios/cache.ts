/**
 * Fault-matrix rows of the shared cache tier: a real redis-server killed, paused and restarted, and
 * the Upstash REST endpoint in front of it answering 401, 500 or refusing connections.
 */
import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { redisCache } from '../../../adapters/ioredis.ts'
import { upstashCache } from '../../../adapters/upstash.ts'
import type { CacheStore } from '../../../src/index.ts'
import type { RedisServer } from '../../fixtures/redis/index.ts'
import type { HandlerLedger } from '../ledger.ts'
import { keysIn } from '../redis-access.ts'
import { bearer } from '../recording-app.ts'
import type { World } from '../world.ts'
import {
  limitOf,
  rowApp,
  sleep,
  until,
  warm,
  type Arranged,
  type RowApp,
  type Scenario,
} from './scenario.ts'

/** How long the circuit breakers of this suite's stores leave a failed backend alone. */
export const CACHE_COOLDOWN_MS = 500
/** Seconds an entry lives in process memory in front of the shared tier: short, so L2 is read. */
const L1_TTL_SECONDS = 0.05
/** Milliseconds the shared tier may take to be written again once it is back. */
const CACHE_RECOVERY_MS = 6000

/** The Redis key of a token's session under `prefix`. */
export function sessionKey(prefix: string, token: string): string {
  return `${prefix}:session:${createHash('sha256').update(token).digest('hex')}`
}

function serverOf(world: World): RedisServer {
  if (!world.redis) throw new Error('this row needs startWorld({ redis: true })')
  return world.redis
}

/** Where a row's store keeps its entries: a database of the test redis-server. */
interface Placement {
  readonly store: CacheStore
  readonly db: number
}

function storedKeys(world: World, db: number): Promise<string[]> {
  return keysIn(serverOf(world).port, db)
}

/** A row app whose shared tier is `store`, with a session verified (and written to L2) before the fault. */
async function sharedTierApp(
  world: World,
  ledger: HandlerLedger,
  label: string,
  { store, db }: Placement
): Promise<RowApp & { cached: string; fresh: string }> {
  const row = rowApp(world, ledger, label, { cache: store, l1Ttl: L1_TTL_SECONDS })
  const [cached, fresh] = await Promise.all([world.session(ledger), world.session(ledger)])
  await warm(row.app, cached.sessionToken)
  await until(
    async () => (await storedKeys(world, db)).includes(sessionKey(row.prefix, cached.sessionToken)),
    2000,
    'the session never reached the shared tier'
  )
  await sleep(L1_TTL_SECONDS * 1000 * 2)
  return { ...row, cached: cached.sessionToken, fresh: fresh.sessionToken }
}

/** Checks after the fault: the tier degraded and recovered in the log, and holds new sessions again. */
function recovery(
  world: World,
  ledger: HandlerLedger,
  row: RowApp,
  db: number
): Pick<Arranged, 'checkDuring' | 'checkAfter'> {
  return {
    checkDuring: async () => {
      expect(row.logger.lines.join('\n')).toMatch(
        /cache degraded: (redis at redis:\/\/127\.0\.0\.1:\d+\/\d|upstash at http:\/\/127\.0\.0\.1:\d+) unavailable/
      )
    },
    checkAfter: async () => {
      const { sessionToken } = await world.session(ledger)
      await until(
        async () => {
          const res = await row.app.request('/api/me', bearer(sessionToken))
          expect(res.status).toBe(200)
          await sleep(L1_TTL_SECONDS * 1000 * 2)
          return (await storedKeys(world, db)).includes(sessionKey(row.prefix, sessionToken))
        },
        CACHE_RECOVERY_MS,
        'the shared tier never held new sessions again'
      )
      expect(row.logger.lines.join('\n')).toMatch(
        /cache recovered: (redis at redis:|upstash at http:)\S+ answers again/
      )
    },
  }
}

/** A Redis store on database `db` (each row its own database, so its own client). */
function redisStore(world: World, db: number): Placement {
  return { store: redisCache({ url: serverOf(world).url, db, cooldownMs: CACHE_COOLDOWN_MS }), db }
}

/** A new Redis client is made while redis-server is down (a database no other row uses: its own client). */
const redisDownAtStart: Scenario = async (world, ledger) => {
  const redis = serverOf(world)
  await redis.kill()
  const row = rowApp(world, ledger, 'redis-down-at-start', {
    cache: redisStore(world, 1).store,
    l1Ttl: L1_TTL_SECONDS,
  })
  const { sessionToken } = await world.session(ledger)
  return {
    app: row.app,
    credentials: { 'session token': sessionToken },
    inject: async () => {},
    remove: () => redis.restart(),
    ...recovery(world, ledger, row, 1),
    recoveryMs: CACHE_RECOVERY_MS,
  }
}

const redisKilled: Scenario = async (world, ledger) => {
  const redis = serverOf(world)
  const row = await sharedTierApp(world, ledger, 'redis-killed', redisStore(world, 2))
  return {
    app: row.app,
    credentials: { 'cached session token': row.cached, 'session token': row.fresh },
    inject: () => redis.kill(),
    remove: () => redis.restart(),
    ...recovery(world, ledger, row, 2),
  }
}

const redisSlow: Scenario = async (world, ledger) => {
  const redis = serverOf(world)
  const row = await sharedTierApp(world, ledger, 'redis-slow', redisStore(world, 3))
  return {
    app: row.app,
    credentials: { 'cached session token': row.cached, 'session token': row.fresh },
    inject: () => redis.slow(1500),
    remove: () => redis.slow(0),
    ...recovery(world, ledger, row, 3),
  }
}

/** Redis killed and restarted three times while requests keep coming. */
const redisFlapping: Scenario = async (world, ledger) => {
  const redis = serverOf(world)
  const row = await sharedTierApp(world, ledger, 'redis-flapping', redisStore(world, 4))
  let flapping: Promise<void> = Promise.resolve()
  const flap = async () => {
    for (let cycle = 0; cycle < 3; cycle++) {
      await redis.kill()
      await sleep(300)
      await redis.restart()
      await sleep(300)
    }
  }
  const checks = recovery(world, ledger, row, 4)
  return {
    app: row.app,
    credentials: { 'cached session token': row.cached, 'session token': row.fresh },
    inject: async () => {
      flapping = flap()
    },
    remove: () => flapping,
    checkDuring: async () => {
      let done = false
      void flapping.finally(() => (done = true))
      while (!done) {
        const { sessionToken } = await world.session(ledger)
        for (const token of [sessionToken, row.cached]) {
          const started = performance.now()
          const res = await row.app.request('/api/me', bearer(token))
          expect(res.status).toBe(200)
          expect(performance.now() - started).toBeLessThan(limitOf('redis'))
        }
        await sleep(40)
      }
      await checks.checkDuring?.()
    },
    checkAfter: checks.checkAfter,
  }
}

function upstashRow(label: string, inject: (world: World) => Promise<void> | void): Scenario {
  return async (world, ledger) => {
    const upstash = world.upstash
    if (!upstash) throw new Error('this row needs startWorld({ redis: true })')
    // The Upstash server writes to database 0 of the test redis-server.
    const store = upstashCache({
      url: upstash.url,
      token: upstash.token,
      cooldownMs: CACHE_COOLDOWN_MS,
    })
    const row = await sharedTierApp(world, ledger, label, { store, db: 0 })
    return {
      app: row.app,
      credentials: { 'cached session token': row.cached, 'session token': row.fresh },
      inject: async () => inject(world),
      remove: () => upstash.faults.clear(),
      ...recovery(world, ledger, row, 0),
      recoveryMs: CACHE_RECOVERY_MS,
    }
  }
}

/** The Redis and Upstash rows, by row id. */
export const CACHE_SCENARIOS = {
  'redis-down-at-start': redisDownAtStart,
  'redis-killed': redisKilled,
  'redis-slow': redisSlow,
  'redis-flapping': redisFlapping,
  'upstash-401': upstashRow('upstash-401', (world) => world.upstash?.faults.unauthorized()),
  'upstash-500': upstashRow('upstash-500', (world) => world.upstash?.faults.status(500)),
  'upstash-refused': upstashRow('upstash-refused', (world) => world.upstash?.faults.refuse()),
} satisfies Record<string, Scenario>
