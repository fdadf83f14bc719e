/**
 * What rate limits report, with the real OpenTelemetry SDK (an in-memory span exporter and metric
 * reader): the counter `ayz_auth.rate_limit.decisions` by outcome (`allowed`, `limited`,
 * `degraded`), `rate_limited` events through `onEvent`, a store's calls as child spans; and a
 * secrecy scan: no token, API key, IP or member id in a rate-limit key, a log line, a span or an
 * event.
 */
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
import { Hono, type Context } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import '../../adapters/opentelemetry.ts'
import { createApiKey, rateLimit, stytchAuth, type AuthEvent } from '../../src/index.ts'
import {
  memoryApiKeys,
  startStytchEmulator,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { redisOrSkip, startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let stytch: RunningStytchEmulator
let redis: RedisServer
beforeAll(async () => {
  stytch = await startStytchEmulator()
  if (availability.available) redis = await startRedisServer()
})
afterAll(async () => {
  await stytch?.close()
  await redis?.stop()
})

/** The points of `ayz_auth.rate_limit.decisions`, as `outcome name → count`. */
async function decisions(reader: MetricReader): Promise<Record<string, number>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics }
  const counted: Record<string, number> = {}
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      if (metric.descriptor.name === 'ayz_auth.rate_limit.decisions')
        for (const point of metric.dataPoints)
          counted[
            `${String(point.attributes['ayz_auth.outcome'])} ${String(point.attributes['ayz_auth.rate_limit.name'])}`
          ] = point.value as number
  return counted
}

describe.skipIf(!availability.available)('rate-limit telemetry', () => {
  it('counts decisions by outcome, emits rate_limited events, and names no one anywhere', async () => {
    const spans = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    })
    const reader = new TestReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    const events: AuthEvent[] = []
    const logger = captureLogger()
    const app = new Hono()
    app.use(
      '*',
      stytchAuth({
        projectId: stytch.projectId,
        secret: stytch.secret,
        baseUrl: stytch.url,
        cache: redisCache({ url: redis.url, cooldownMs: 60_000 }),
        telemetry: { tracerProvider, meterProvider },
        onEvent: (event) => events.push(event),
        logger,
        logLevel: 'DEBUG',
        optional: true,
        acceptTokens: ['session', 'api_key'],
        apiKeyStore: memoryApiKeys(),
      })
    )
    app.post('/keys', async (c) => c.json((await createApiKey(c, { name: 'CI', scopes: [] })).key))
    app.get('/member', rateLimit({ name: 'member', limit: 2, window: 60 }), (c) => c.text('ok'))
    app.get('/guest', rateLimit({ name: 'guest', limit: 1, window: 60, trustedProxies: 1 }), (c) =>
      c.text('ok')
    )
    // Quotas keyed by a header's value itself (here an API key): never stored or shown as it is.
    const byKey = (c: Context) => c.req.header('x-api-key')
    app.get('/keyed', rateLimit({ name: 'keyed', by: byKey, limit: 1, window: 60 }), (c) =>
      c.text('ok')
    )

    const session = await stytch.emulator.seed()
    const created = await app.request('/keys', { method: 'POST', ...bearer(session.sessionToken) })
    const apiKey = (await created.json()) as string
    expect(apiKey).toMatch(/^ak_test_/)
    const ip = '192.0.2.77'
    const send = (path: string, init: RequestInit = {}) => app.request(path, init)
    const asGuest = { headers: { 'x-forwarded-for': ip } }
    const withKey = { headers: { 'x-api-key': apiKey } }
    const statuses: number[] = []
    for (const init of [
      bearer(session.sessionToken),
      bearer(session.sessionJwt),
      bearer(session.sessionToken),
    ])
      statuses.push((await send('/member', init)).status)
    // The API key is a principal of its own (its id is its budget).
    statuses.push((await send('/member', bearer(apiKey))).status)
    statuses.push((await send('/guest', asGuest)).status, (await send('/guest', asGuest)).status)
    statuses.push((await send('/keyed', withKey)).status, (await send('/keyed', withKey)).status)
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429, 200, 429])
    const stored = (await redis.keys()).map(({ key }) => key)
    expect(stored.filter((key) => key.includes(':rl:'))).toHaveLength(4)

    // The store dies: decisions are made in process, and counted as degraded.
    await redis.kill()
    const fresh = { headers: { 'x-forwarded-for': '192.0.2.78' } }
    statuses.push((await send('/guest', fresh)).status, (await send('/guest', fresh)).status)
    expect(statuses.slice(-2)).toEqual([200, 429])

    expect(await decisions(reader)).toEqual({
      'allowed member': 3,
      'limited member': 1,
      'allowed guest': 1,
      // A refusal from memory (the key was known to be blocked) is a refusal all the same.
      'limited guest': 1,
      'allowed keyed': 1,
      'limited keyed': 1,
      'degraded guest': 2,
    })
    const refused = events.filter((event) => event.type === 'rate_limited')
    expect(refused).toEqual([
      {
        type: 'rate_limited',
        name: 'member',
        key: expect.stringMatching(/^[0-9a-f]{8}$/),
        limit: 2,
        windowSeconds: 60,
        retryAfterSeconds: 30,
        degraded: false,
      },
      {
        type: 'rate_limited',
        name: 'guest',
        key: expect.stringMatching(/^[0-9a-f]{8}$/),
        limit: 1,
        windowSeconds: 60,
        retryAfterSeconds: 60,
        degraded: false,
      },
      {
        type: 'rate_limited',
        name: 'keyed',
        key: expect.stringMatching(/^[0-9a-f]{8}$/),
        limit: 1,
        windowSeconds: 60,
        retryAfterSeconds: 60,
        degraded: false,
      },
      {
        type: 'rate_limited',
        name: 'guest',
        key: expect.stringMatching(/^[0-9a-f]{8}$/),
        limit: 1,
        windowSeconds: 60,
        retryAfterSeconds: 60,
        degraded: true,
      },
    ])
    // The event's key is the start of the stored key's digest (those decided in Redis).
    for (const { key } of refused.slice(0, 3) as { key: string }[])
      expect(stored.some((name) => name.includes(`{${key}`))).toBe(true)
    expect(logger.lines.filter((line) => line.includes('rate limit degraded'))).toHaveLength(1)
    const storeCalls = spans
      .getFinishedSpans()
      .filter((span) => span.attributes['ayz_auth.operation'] === 'rate_limit')
    expect(storeCalls.length).toBeGreaterThanOrEqual(6)
    expect(storeCalls.every((span) => span.name === 'ayz_auth.cache')).toBe(true)

    // Secrecy: keys, log lines, spans and events name no token, no API key, no IP, no member.
    const exported = JSON.stringify({
      stored,
      lines: logger.lines,
      events,
      spans: spans
        .getFinishedSpans()
        .map(({ name, attributes, events: spanEvents }) => ({ name, attributes, spanEvents })),
    })
    for (const secret of [session.sessionToken, session.sessionJwt, apiKey, ip, '192.0.2.78'])
      expect(exported).not.toContain(secret)
    const rateLimited = JSON.stringify({
      stored: stored.filter((key) => key.includes(':rl:')),
      refused,
    })
    expect(rateLimited).not.toContain(session.member.member_id)
    expect(rateLimited).not.toContain(session.organization.organization_id)
  })
})
