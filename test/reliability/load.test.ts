/**
 * A bounded load test on loopback: a real HTTP server (`@hono/node-server`) in front of the
 * library with Redis and MongoDB, thousands of distinct sessions at high concurrency with a fifth
 * of the requests invalid, while Stytch is slowed and failed, Redis killed and restarted and
 * MongoDB slowed. It stops by itself (time and request budgets) and asserts: no unauthenticated
 * request reached a handler, only 200/401/403/503 (503 only while a fault was on), nothing hung,
 * no unhandled rejection, the heap did not grow beyond a bound.
 *
 * Short mode runs in `npm test`; `npm run test:load` (`AYZ_LOAD_TEST=long`) runs the long one.
 */
import { serve, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import type { Logger } from '../../src/index.ts'
import { redisOrSkip } from '../fixtures/redis/index.ts'
import { HandlerLedger } from './ledger.ts'
import { drive } from './load/driver.ts'
import { faultSchedule } from './load/fault-schedule.ts'
import { liveHeapMb } from './load/heap.ts'
import { loadProfile } from './load/profile.ts'
import { formatLoadReport } from './load/report.ts'
import { buildTraffic, INVALID_SHARE } from './load/traffic.ts'
import { recordingApp, uniquePrefix } from './recording-app.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, type World } from './world.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

const profile = loadProfile(process.env['AYZ_LOAD_TEST'])
/** The app's Stytch budget per request (retries included) in this test. */
const TIMEOUT_MS = 2000
/**
 * Time after a fault is removed during which a request may still see its effect: a circuit breaker
 * (cache and entitlement source) waits 2 s before it asks the dependency again.
 */
const FAULT_GRACE_MS = 2500
/** Longest any request may take: Stytch's budget, the verification-slot wait, MongoDB, a margin. */
const MAX_LATENCY_MS = TIMEOUT_MS + 2000 + 1000 + 1000

const unhandled = failOnUnhandledRejections()
const ledger = new HandlerLedger({ streaming: true })
let world: World
let server: ServerType
let baseUrl: string
beforeAll(async () => {
  if (!availability.available) return
  world = await startWorld({ redis: true, mongo: true })
})
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await world?.close()
})

/** A logger that only counts: a load test must not keep log lines in memory. */
function countingLogger(): Logger & { readonly counts: Record<string, number> } {
  const counts: Record<string, number> = { debug: 0, info: 0, warn: 0, error: 0 }
  const count = (level: string) => () => {
    counts[level] = (counts[level] ?? 0) + 1
  }
  return {
    counts,
    debug: count('debug'),
    info: count('info'),
    warn: count('warn'),
    error: count('error'),
  }
}

describe.skipIf(!availability.available)(
  `load test (${profile.name}, AYZ_LOAD_TEST=${process.env['AYZ_LOAD_TEST'] ?? ''})`,
  () => {
    it(
      'holds every invariant under load and injected faults, and reports',
      async () => {
        const app = recordingApp(
          {
            ...world.stytchOptions(),
            timeoutMs: TIMEOUT_MS,
            maxRetries: 1,
            prefix: uniquePrefix('load'),
            cache: redisCache({ url: world.redis!.url, db: 9 }),
            l1Ttl: 2,
            entitlements: world.mongoSource(1000),
            maxVerificationsPerSecond: 2000,
            logger: countingLogger(),
          },
          ledger
        )
        server = await new Promise<ServerType>((resolve) => {
          const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
            resolve(listening)
          )
        })
        const address = server.address()
        baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

        const traffic = await buildTraffic(world, ledger, profile)
        const noFaults = () => false
        const warmUp = await drive({
          baseUrl,
          concurrency: profile.concurrency,
          durationMs: 60_000,
          maxRequests: Number.MAX_SAFE_INTEGER,
          requests: traffic.warmUp,
          allows503: noFaults,
        })
        expect(warmUp.samples).toEqual([])
        expect([...warmUp.byStatus.keys()]).toEqual([200])
        world.mongo!.store.resetLog()
        const heapAfterWarmUpMb = await liveHeapMb()

        world.stytch.emulator.resetCalls()
        const schedule = faultSchedule(world, profile.cycle)
        const faults = schedule.run()
        const stats = await drive({
          baseUrl,
          concurrency: profile.concurrency,
          durationMs: profile.durationMs,
          maxRequests: profile.maxRequests,
          requests: traffic,
          allows503: (start, end) => schedule.allows503(start, end, FAULT_GRACE_MS),
        })
        schedule.stop()
        await faults
        const stytchCalls = world.stytch.emulator.calls

        // Every fault removed and the breakers' cooldown passed: the same server serves again,
        // with no 503 at all.
        await new Promise((resolve) => setTimeout(resolve, FAULT_GRACE_MS))
        const recovery = await drive({
          baseUrl,
          concurrency: profile.concurrency,
          durationMs: 3000,
          maxRequests: 20_000,
          requests: traffic,
          allows503: noFaults,
        })
        world.mongo!.store.resetLog()
        const heapAtEndMb = await liveHeapMb()

        console.info(
          formatLoadReport({
            profile,
            invalidShare: INVALID_SHARE,
            stats,
            recovery,
            stytchCalls,
            faults: schedule.windows,
            heapAfterWarmUpMb,
            heapAtEndMb,
            handlersReached: ledger.handledCount,
            unauthenticatedHandled: ledger.violations().length,
            unhandledRejections: unhandled.errors.length,
          })
        )

        expect(ledger.violations()).toEqual([])
        expect(stats.samples).toEqual([])
        expect(recovery.samples).toEqual([])
        expect(
          new Set(
            [...stats.byStatus.keys()].filter((status) => ![200, 401, 403, 503].includes(status))
          )
        ).toEqual(new Set())
        expect(
          [...recovery.byStatus.keys()].every((status) => [200, 401, 403].includes(status))
        ).toBe(true)
        expect(Math.max(...stats.latencies.subarray(0, stats.requests))).toBeLessThan(
          MAX_LATENCY_MS
        )
        expect(new Set(schedule.windows.map((window) => window.fault))).toEqual(
          new Set(['stytch-latency', 'stytch-500', 'redis-killed', 'mongo-slow'])
        )
        expect(unhandled.errors).toEqual([])
        expect(heapAtEndMb - heapAfterWarmUpMb).toBeLessThan(profile.maxHeapGrowthMb)
      },
      profile.durationMs + 120_000
    )
  }
)
