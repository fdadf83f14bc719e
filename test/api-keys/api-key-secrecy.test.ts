/**
 * Issue 25, item 8: an API key never appears in a log line, a span, a metric, an event, a cache key
 * or a cache value. The README's app runs a key's whole life (created, verified, served from
 * memory, listed, rotated with and without grace, revoked, refused; forged and damaged keys; a
 * refused `last_used_at` write; the key store down) with every reporting channel on: the real
 * OpenTelemetry SDK (in-memory span exporter and metric reader), `onEvent`, `Server-Timing`, a
 * DEBUG logger; and a shared tier that is inspected whole: a `memoryCache()`, or a real
 * redis-server (every key and value, and every message published on its purge channel).
 */
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { Redis } from 'ioredis'
import { ObjectId } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { mongoApiKeys } from '../../adapters/mongodb.ts'
import '../../adapters/opentelemetry.ts'
import { closeAuth, memoryCache, type AuthEvent, type CacheStore } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'
import { redisOrSkip, startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'
import {
  forgedKey,
  jsonRequest,
  keyApp,
  keysPolicy,
  secretPartsOf,
  withChecksum,
  type IssuedKey,
} from './key-app.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const DB = 'soulmates'
let stytch: RunningStytchEmulator
let wire: MongoWireServer
let redis: RedisServer | undefined
const contextManager = new AsyncLocalStorageContextManager()
beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable())
  ;[stytch, wire, redis] = await Promise.all([
    startStytchEmulator(),
    startMongoWireServer({ dbName: DB }),
    availability.available ? startRedisServer() : undefined,
  ])
  stytch.emulator.setPolicy(keysPolicy())
})
afterAll(async () => {
  context.disable()
  await closeAuth()
  await Promise.all([wire?.close(), stytch?.close(), redis?.stop()])
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Everything an app with `cache` reported and stored while it ran a key's whole life. */
interface Exposure {
  /** The keys it used (issued, forged, damaged): none may appear below. */
  readonly keys: string[]
  /** Each channel's text, one string per item. */
  readonly channels: Record<string, string[]>
}

/** Runs a key's whole life through an app on `cache`; what every channel holds afterwards. */
async function exposureWith(cache: CacheStore, prefix: string): Promise<Exposure> {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const logger = captureLogger()
  const events: AuthEvent[] = []
  const responses: string[] = []
  const app = keyApp({
    projectId: stytch.projectId,
    secret: stytch.secret,
    baseUrl: stytch.url,
    apiKeyStore: mongoApiKeys({ uri: wire.uri, queryTimeoutMs: 300 }),
    entitlements: null,
    cache,
    prefix,
    l1Ttl: 0.2,
    telemetry: { tracerProvider, meterProvider },
    serverTiming: true,
    onEvent: (event) => events.push(event),
    logger,
    logLevel: 'DEBUG',
  })
  const keys: string[] = []
  /** A request whose answer may show nothing secret (every one but a key's creation). */
  const send = async (path: string, init: RequestInit) => {
    const response = await app.request(path, init)
    responses.push(
      `${response.status} ${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')} ${await response.text()}`
    )
    return response.status
  }
  const use = (key: string, path = '/api/reports') => send(path, bearer(key))
  const seeded = await stytch.emulator.seed({
    member: { roles: ['key_manager'] },
    organization: { name: `Secrecy ${new ObjectId().toHexString()}` },
  })
  const owner = seeded.sessionToken
  const issue = async (path: string, body: unknown): Promise<IssuedKey> => {
    const response = await app.request(path, jsonRequest('POST', owner, body))
    expect(response.status).toBeLessThan(300)
    const issued = (await response.json()) as IssuedKey
    keys.push(issued.key)
    return issued
  }

  const first = await issue('/api/keys', { name: 'first', scopes: ['read:reports'] })
  const second = await issue('/api/keys', { name: 'second', scopes: ['read:documents'] })
  for (const key of [first.key, second.key]) {
    expect(await use(key)).toBe(key === first.key ? 200 : 403) // verified, then denied by scope
    expect(await use(key, '/api/me')).toBe(200) // from memory
  }
  await sleep(250) // past l1Ttl: verified again (and its last use written)
  expect(await use(first.key)).toBe(200)
  expect(await send('/api/keys', bearer(owner))).toBe(200)
  expect(await send('/api/keys', bearer(first.key))).toBe(200)
  const graced = await issue(`/api/keys/${first.record.id}/rotate`, { graceSeconds: 60 })
  expect(await use(first.key)).toBe(200)
  expect(await use(graced.key)).toBe(200)
  const ended = await issue(`/api/keys/${graced.record.id}/rotate`, { graceSeconds: 0 })
  expect(await use(graced.key)).toBe(401)
  expect(await use(ended.key)).toBe(200)
  expect(await send(`/api/keys/${second.record.id}`, jsonRequest('DELETE', owner))).toBe(204)
  expect(await use(second.key, '/api/me')).toBe(401)

  // Forged and damaged keys.
  const attacks = [
    forgedKey('test'),
    forgedKey('live'),
    ended.key.slice(0, -1) + (ended.key.endsWith('A') ? 'B' : 'A'),
    withChecksum('ak_live_' + ended.key.slice(8, -6)),
    ended.key + 'A',
  ]
  keys.push(...attacks)
  for (const attack of attacks) expect(await use(attack)).toBe(401)

  // A refused last_used_at write, then the key store down for a key never verified.
  const late = await issue('/api/keys', { name: 'late', scopes: ['read:reports'] })
  wire.faults.refuseWrites(true)
  expect(await use(late.key)).toBe(200)
  await sleep(50)
  wire.faults.refuseWrites(false)
  const unseen = await issue('/api/keys', { name: 'unseen', scopes: ['read:reports'] })
  await wire.faults.down()
  try {
    expect(await use(unseen.key)).toBe(503)
  } finally {
    await wire.faults.up()
  }

  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics }
  const metrics = resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map(
        (point) => `${metric.descriptor.name} ${JSON.stringify(point.attributes)}`
      )
    )
  )
  const finished = spans.getFinishedSpans().map((span) =>
    JSON.stringify({
      name: span.name,
      attributes: span.attributes,
      events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
      status: span.status,
      links: span.links,
    })
  )
  const stored =
    cache instanceof Object && 'entries' in cache && typeof cache.entries === 'function'
      ? [...(cache as ReturnType<typeof memoryCache>).entries()].map(
          ([key, value]) => `${key} ${value}`
        )
      : []
  return {
    keys,
    channels: {
      logs: logger.lines,
      spans: finished,
      metrics,
      events: events.map((event) => JSON.stringify(event)),
      responses,
      'cache entries': stored,
    },
  }
}

/** The items of every channel that hold a piece of a key, or `[]`. */
function leaks({ keys, channels }: Exposure): string[] {
  const found: string[] = []
  for (const [channel, items] of Object.entries(channels))
    for (const item of items)
      for (const key of keys)
        if (secretPartsOf(key).some((part) => item.includes(part)))
          found.push(`${channel}: ${item.slice(0, 200)}`)
  return found
}

describe('no API key in any log line, span, metric, event, response or cache entry', () => {
  it('with a memoryCache() as the shared tier', async () => {
    const cache = memoryCache()
    const exposure = await exposureWith(cache, `secrecy_memory_${process.pid}`)
    // Every channel saw this life (so the scan is not of nothing).
    const sizes = Object.fromEntries(
      Object.entries(exposure.channels).map(([channel, items]) => [channel, items.length > 0])
    )
    expect(sizes).toEqual({
      logs: true,
      spans: true,
      metrics: true,
      events: true,
      responses: true,
      'cache entries': true,
    })
    // Audit events of the key's life: each names the key by id, never by itself.
    const audit = (exposure.channels['events'] ?? [])
      .map((event) => JSON.parse(event) as { type: string })
      .filter(({ type }) => type.startsWith('api_key.'))
      .map(({ type }) => type)
    expect(audit.sort()).toEqual([
      'api_key.created',
      'api_key.created',
      'api_key.created',
      'api_key.created',
      'api_key.revoked',
      'api_key.rotated',
      'api_key.rotated',
    ])
    expect(leaks(exposure)).toEqual([])
  })

  it.skipIf(!availability.available)(
    'with a real redis-server as the shared tier: its keys, values and purge messages too',
    async () => {
      const server = redis as RedisServer
      const prefix = `secrecy_redis_${process.pid}`
      const subscriber = new Redis(server.url)
      const published: string[] = []
      await subscriber.psubscribe('*')
      subscriber.on('pmessage', (_pattern, channel, message) =>
        published.push(`${channel} ${message}`)
      )
      try {
        const exposure = await exposureWith(redisCache(server.url), prefix)
        await sleep(100)
        const stored = (await server.keys()).map(
          ({ key, value }) => `${key} ${value.toString('latin1')}`
        )
        const withRedis: Exposure = {
          keys: exposure.keys,
          channels: {
            ...exposure.channels,
            'redis keys and values': stored,
            'published messages': published,
          },
        }
        expect(stored.length).toBeGreaterThan(0)
        expect(published.some((message) => message.startsWith(`${prefix}:purge`))).toBe(true)
        expect(leaks(withRedis)).toEqual([])
      } finally {
        subscriber.disconnect()
      }
    }
  )
})
