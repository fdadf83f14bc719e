/**
 * What the auth layer reports, with the real OpenTelemetry SDK (in-memory span exporter and metric
 * reader): a span per authentication with its outcome, kind, cache tier and organization; child
 * spans for Stytch, the shared cache, entitlements and the RBAC policy; metrics of outcomes, tiers,
 * upstream calls and breaker changes; the same facts as `onEvent` objects; and `Server-Timing`.
 * Nothing exported ever holds a token or the secret.
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
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../adapters/opentelemetry.ts'
import {
  memoryCache,
  requirePermission,
  revokeSession,
  stytchAuth,
  type AuthEvent,
  type EntitlementSource,
  type PrincipalEnv,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let stytch: RunningStytchEmulator
const spans = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
const reader = new TestReader()
const meterProvider = new MeterProvider({ readers: [reader] })
const contextManager = new AsyncLocalStorageContextManager()
beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable())
  stytch = await startStytchEmulator()
})
afterAll(async () => {
  context.disable()
  await stytch.close()
})

const ORG_DOC = {
  _id: '507f1f77bcf86cd799439011',
  entitlements: ['foresight'],
  subscription_tier: 'pro',
}

function observedApp(events: AuthEvent[], extra: Record<string, unknown> = {}) {
  const entitlements: EntitlementSource = {
    schema: {
      collections: { organizations: 'organizations', users: 'users', teams: 'teams' },
      fields: {
        stytchOrganizationId: 'stytch_org_id',
        subscriptionTier: 'subscription_tier',
        entitlements: 'entitlements',
        subscriptionLimits: 'subscription_limits',
        stytchMemberId: 'stytch_member_id',
        currentTeamId: 'current_team_id',
        teamOrganizationId: 'organization_id',
        teamName: 'name',
      },
    },
    findOrganization: async () => ORG_DOC,
    findMember: async () => null,
  }
  const app = new Hono<PrincipalEnv>()
  app.use(
    '*',
    stytchAuth({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      prefix: `telemetry_${events.length}_${Math.random().toString(36).slice(2)}`,
      telemetry: { tracerProvider, meterProvider },
      serverTiming: true,
      onEvent: (event) => events.push(event),
      logger: captureLogger(),
      timeoutMs: 500,
      maxRetries: 1,
      entitlements,
      ...extra,
    })
  )
  app.get('/me', (c) => c.json(c.var.auth))
  app.get('/docs', requirePermission('documents', 'delete'), (c) => c.text('ok'))
  app.post('/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  return app
}

const attributesOf = (span: ReadableSpan) => span.attributes as Record<string, unknown>
const childrenOf = (parent: ReadableSpan, all: ReadableSpan[]) =>
  all.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)

async function metricPoints(): Promise<
  Map<string, { attributes: Record<string, unknown>; value: unknown }[]>
> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics }
  const points = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>()
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      points.set(
        metric.descriptor.name,
        metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }))
      )
  return points
}

describe('OpenTelemetry, onEvent and Server-Timing', () => {
  it('report a scripted sequence: miss, L1 hit, L2 hit, 401s, 403, 503, entitlement and policy loads', async () => {
    spans.reset()
    const events: AuthEvent[] = []
    const shared = memoryCache()
    const app = observedApp(events, { cache: shared, l1Ttl: 0.25 })
    const seeded = await stytch.emulator.seed()
    const tokens = [seeded.sessionToken, seeded.sessionJwt, stytch.secret]

    const miss = await app.request('/me', bearer(seeded.sessionToken))
    expect(miss.status).toBe(200)
    expect(miss.headers.get('server-timing')).toMatch(/^auth;dur=\d+\.\d\d;desc="miss"$/)
    const hit = await app.request('/me', bearer(seeded.sessionToken))
    expect(hit.headers.get('server-timing')).toMatch(/desc="l1"$/)
    await new Promise((resolve) => setTimeout(resolve, 400)) // past l1Ttl: the shared tier answers
    const l2 = await app.request('/me', bearer(seeded.sessionToken))
    expect(l2.headers.get('server-timing')).toMatch(/desc="l2"$/)
    expect((await app.request('/me')).status).toBe(401)
    expect(
      (await app.request('/me', bearer('not-a-stytch-token-but-b64token-shaped-xx'))).status
    ).toBe(401)
    expect((await app.request('/docs', bearer(seeded.sessionToken))).status).toBe(403) // member may not delete
    const outage = stytch.emulator.injectFault(
      { kind: 'status', status: 500 },
      { endpoint: 'authenticate' }
    )
    const other = await stytch.emulator.seed()
    tokens.push(other.sessionToken, other.sessionJwt)
    expect((await app.request('/me', bearer(other.sessionToken))).status).toBe(503)
    outage.remove()
    expect(
      (await app.request('/logout', { method: 'POST', ...bearer(seeded.sessionToken) })).status
    ).toBe(204)

    const finished = spans.getFinishedSpans()
    const authentications = finished.filter((span) => span.name === 'ayz_auth.authenticate')
    expect(authentications.map((span) => attributesOf(span)['ayz_auth.outcome'])).toEqual([
      'authenticated',
      'authenticated',
      'authenticated',
      'rejected',
      'rejected',
      'authenticated',
      'outage',
      'authenticated',
    ])
    const [first, second, third, missing, invalid] = authentications
    expect(attributesOf(first!)).toMatchObject({
      'ayz_auth.kind': 'member',
      'ayz_auth.cache_tier': 'miss',
      'ayz_auth.organization_id': seeded.organization.organization_id,
    })
    expect(attributesOf(second!)['ayz_auth.cache_tier']).toBe('l1')
    expect(attributesOf(third!)['ayz_auth.cache_tier']).toBe('l2')
    expect(attributesOf(missing!)['ayz_auth.reason']).toBe('token_extraction')
    expect(attributesOf(invalid!)['ayz_auth.reason']).toBe('token_verification')

    // The miss: children for Stytch, the shared cache and the entitlement source.
    const names = childrenOf(first!, finished).map((span) => span.name)
    expect(names).toEqual(
      expect.arrayContaining(['ayz_auth.stytch', 'ayz_auth.cache', 'ayz_auth.entitlements'])
    )
    const stytchSpan = childrenOf(first!, finished).find((span) => span.name === 'ayz_auth.stytch')!
    expect(attributesOf(stytchSpan)['ayz_auth.operation']).toBe('sessions.authenticate')
    // The outage: a Stytch span with its retry as an event, and an error status.
    const failed = authentications[6]!
    const failedCall = childrenOf(failed, finished).find((span) => span.name === 'ayz_auth.stytch')!
    expect(failedCall.events.map((event) => event.name)).toContain('retry')
    expect(failed.status.code).toBe(2)
    // The policy was loaded under the permission check's request.
    expect(
      finished.filter((span) => span.name === 'ayz_auth.policy').length
    ).toBeGreaterThanOrEqual(1)

    const metrics = await metricPoints()
    const lookups = metrics.get('ayz_auth.cache.lookups') ?? []
    const lookupCount = (tier: string) =>
      lookups.find((point) => point.attributes['ayz_auth.cache_tier'] === tier)?.value
    expect(lookupCount('miss')).toBe(1)
    expect(lookupCount('l1')).toBeGreaterThanOrEqual(1)
    expect(lookupCount('l2')).toBeGreaterThanOrEqual(1)
    const outcomes = metrics.get('ayz_auth.authentications') ?? []
    expect(
      outcomes.some((point) => point.attributes['ayz_auth.reason'] === 'token_verification')
    ).toBe(true)
    expect(outcomes.some((point) => point.attributes['ayz_auth.reason'] === 'stytch_api')).toBe(
      true
    )
    expect(
      outcomes.some((point) => point.attributes['ayz_auth.reason'] === 'insufficient_permissions')
    ).toBe(true)
    const upstream = metrics.get('ayz_auth.upstream.duration') ?? []
    const upstreams = new Set(upstream.map((point) => point.attributes['ayz_auth.upstream']))
    expect(upstreams).toEqual(new Set(['stytch', 'cache', 'entitlements', 'policy']))

    expect(events.map((event) => event.type)).toEqual([
      'authenticated',
      'authenticated',
      'authenticated',
      'rejected',
      'rejected',
      'authenticated',
      'rejected',
      'outage',
      'authenticated',
      'revoked',
    ])
    expect(events[0]).toMatchObject({
      kind: 'member',
      tier: 'miss',
      memberId: seeded.member.member_id,
    })
    expect(events.at(-1)).toEqual({
      type: 'revoked',
      sessionId: seeded.session.member_session_id,
      memberId: seeded.member.member_id,
    })

    // No token, secret or seal in anything exported.
    const exported = JSON.stringify({
      spans: finished.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
      })),
      metrics: [...metrics.entries()],
      events,
    })
    for (const secret of [...tokens, ...[...shared.entries()].map(([, value]) => value)])
      expect(exported).not.toContain(secret)
  })

  it('a breaker change is a metric and an event; onEvent throwing never breaks a request', async () => {
    const events: AuthEvent[] = []
    const failing = {
      name: 'flaky',
      get: async () => {
        throw new Error('down')
      },
      set: async () => {},
      delete: async () => {},
    }
    const app = observedApp(events, {
      cache: failing,
      onEvent: (event: AuthEvent) => {
        events.push(event)
        throw new Error('audit sink down')
      },
    })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await app.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(events.map((event) => event.type)).toContain('cache_degraded')
    const metrics = await metricPoints()
    expect(
      metrics
        .get('ayz_auth.breaker.changes')
        ?.some((point) => point.attributes['ayz_auth.backend'] === 'flaky')
    ).toBe(true)
  })

  it('with telemetry off, nothing is exported and no Server-Timing is sent', async () => {
    spans.reset()
    const app = new Hono()
    app.use(
      '*',
      stytchAuth({ projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url })
    )
    app.get('/me', (c) => c.text('ok'))
    const { sessionToken } = await stytch.emulator.seed()
    const res = await app.request('/me', bearer(sessionToken))
    expect(res.status).toBe(200)
    expect(res.headers.get('server-timing')).toBeNull()
    expect(spans.getFinishedSpans()).toEqual([])
  })
})
