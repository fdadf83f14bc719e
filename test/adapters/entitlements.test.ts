import { Hono } from 'hono'
import { ObjectId, type Document } from 'mongodb'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  memoryCache,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireEntitlement,
  stytchAuth,
  withinLimit,
  type AuthEnv,
  type EntitlementSource,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'
import { fixtureBackends, realMongoBackend, type Backend } from './entitlement-backends.ts'

let stytch: RunningStytchEmulator
const backends: Backend[] = await fixtureBackends()
const realUri = process.env['MONGODB_TEST_URI']
if (realUri) backends.push(await realMongoBackend(realUri))
else
  console.warn(
    'MONGODB_TEST_URI not set: the entitlement suite runs against the wire-protocol and Data API servers only'
  )

beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(async () => {
  await stytch.close()
  for (const backend of backends) await backend.close()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A Stytch session plus the organization, team and user documents of its member. */
async function customer(
  db: Backend['db'],
  shape: {
    entitlements?: unknown
    tier?: unknown
    limits?: unknown
    org?: Document
    user?: Document
    team?: Document | null
  } = {}
) {
  const session = await stytch.emulator.seed({ durationMinutes: 600 })
  const orgId = new ObjectId()
  const teamId = new ObjectId()
  const userId = new ObjectId()
  await db.collection('organizations').insertOne({
    _id: orgId,
    stytch_org_id: session.organization.organization_id,
    subscription_tier: shape.tier === undefined ? 'standard' : shape.tier,
    entitlements: shape.entitlements === undefined ? ['foresight', 'byod'] : shape.entitlements,
    subscription_limits:
      shape.limits === undefined ? { max_projects: 5, max_users: -1 } : shape.limits,
    ...shape.org,
  })
  if (shape.team !== null)
    await db
      .collection('teams')
      .insertOne({ _id: teamId, name: 'Engineering', organization_id: orgId, ...shape.team })
  await db.collection('users').insertOne({
    _id: userId,
    stytch_member_id: session.member.member_id,
    current_team_id: teamId,
    ...shape.user,
  })
  return {
    token: session.sessionToken,
    orgId,
    teamId,
    userId,
    stytchOrgId: session.organization.organization_id,
    memberId: session.member.member_id,
  }
}

function appWith(entitlements: EntitlementSource | null, logger = captureLogger()): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use(
    '*',
    stytchAuth({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      entitlements,
      cache: memoryCache(),
      logger,
    })
  )
  app.get('/me', (c) => c.json(c.var.auth))
  app.get('/foresight', requireEntitlement('foresight'), (c) =>
    c.json({ entitlements: c.var.auth.entitlements })
  )
  app.get('/any', requireAnyEntitlement('foresight', 'analytics_basic'), (c) => c.text('any'))
  app.get('/all', requireAllEntitlements('foresight', 'advanced_analytics'), (c) => c.text('all'))
  app.get('/projects/new', (c) =>
    c.json({ allowed: withinLimit(c.var.auth, 'max_projects', Number(c.req.query('count'))) })
  )
  return app
}

describe('without an entitlement source', () => {
  it('authenticates, with null entitlement fields', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const auth = await (await appWith(null).request('/me', bearer(sessionToken))).json()
    expect(auth).toMatchObject({
      entitlementsStatus: 'not_configured',
      entitlements: null,
      subscriptionTier: null,
      subscriptionLimits: null,
      currentTeamId: null,
      currentTeamName: null,
      mongoUserId: null,
      mongoOrganizationId: null,
    })
  })

  it('entitlement guards answer 403 "not configured"', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const res = await appWith(null).request('/foresight', bearer(sessionToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'forbidden',
      message: 'Entitlements feature is not configured',
    })
  })
})

describe.each(backends)('entitlements from $name', (backend) => {
  it('puts entitlements, tier, limits, team and mongo ids on c.var.auth', async () => {
    const who = await customer(backend.db)
    const auth = await (await appWith(backend.source()).request('/me', bearer(who.token))).json()
    expect(auth).toMatchObject({
      entitlementsStatus: 'loaded',
      entitlements: ['foresight', 'byod'],
      subscriptionTier: 'standard',
      subscriptionLimits: { max_projects: 5, max_users: -1 },
      currentTeamId: who.teamId.toHexString(),
      currentTeamName: 'Engineering',
      mongoUserId: who.userId.toHexString(),
      mongoOrganizationId: who.orgId.toHexString(),
    })
  })

  it('guards answer the original 403 bodies, field by field, and let entitled requests through', async () => {
    const app = appWith(backend.source())
    const basic = await customer(backend.db, { entitlements: ['byod'], tier: 'standard' })
    const single = await app.request('/foresight', bearer(basic.token))
    expect(single.status).toBe(403)
    expect(await single.json()).toEqual({
      error: 'forbidden',
      message: "This feature requires the 'foresight' entitlement",
      required_entitlement: 'foresight',
      current_tier: 'standard',
      upgrade_required: true,
    })
    expect(await (await app.request('/any', bearer(basic.token))).json()).toEqual({
      error: 'forbidden',
      message: 'This feature requires one of: foresight, analytics_basic',
      required_entitlements: ['foresight', 'analytics_basic'],
      current_tier: 'standard',
      upgrade_required: true,
    })
    const partial = await customer(backend.db, { entitlements: ['foresight'], tier: 'premium' })
    expect(await (await app.request('/all', bearer(partial.token))).json()).toEqual({
      error: 'forbidden',
      message: 'This feature requires all of: foresight, advanced_analytics',
      required_entitlements: ['foresight', 'advanced_analytics'],
      missing_entitlements: ['advanced_analytics'],
      current_tier: 'premium',
      upgrade_required: true,
    })
    expect(await (await app.request('/foresight', bearer(partial.token))).json()).toEqual({
      entitlements: ['foresight'],
    })
    expect((await app.request('/any', bearer(partial.token))).status).toBe(200)
    const full = await customer(backend.db, { entitlements: ['foresight', 'advanced_analytics'] })
    expect((await app.request('/all', bearer(full.token))).status).toBe(200)
  })

  it('withinLimit: below the limit, at it, and -1 as unlimited', async () => {
    const app = appWith(backend.source())
    const who = await customer(backend.db, { limits: { max_projects: 2 } })
    const allowed = async (count: number) =>
      (
        (await (await app.request(`/projects/new?count=${count}`, bearer(who.token))).json()) as {
          allowed: boolean
        }
      ).allowed
    expect([await allowed(0), await allowed(1), await allowed(2)]).toEqual([true, true, false])
    const unlimited = await customer(backend.db, { limits: { max_projects: -1 } })
    expect(
      await (await app.request('/projects/new?count=100000', bearer(unlimited.token))).json()
    ).toEqual({ allowed: true })
  })

  it('an organization unknown to the source: 403 without an upgrade prompt, authentication intact', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const app = appWith(backend.source())
    expect((await app.request('/me', bearer(sessionToken))).status).toBe(200)
    const res = await app.request('/foresight', bearer(sessionToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'forbidden',
      message: 'No subscription is recorded for this organization',
    })
  })

  it('an organization change shows after the 1 h organization TTL, not before; a team change on the next request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const app = appWith(backend.source())
    const who = await customer(backend.db)
    const me = async () =>
      (await (await app.request('/me', bearer(who.token))).json()) as {
        entitlements: string[]
        currentTeamName: string
        currentTeamId: string
      }
    expect((await me()).entitlements).toEqual(['foresight', 'byod'])
    await backend.db
      .collection('organizations')
      .updateOne({ _id: who.orgId }, { $set: { entitlements: ['foresight', 'byod', 'analytics'] } })
    await backend.db
      .collection('teams')
      .updateOne({ _id: who.teamId }, { $set: { name: 'Platform' } })
    const soon = await me()
    expect(soon.entitlements).toEqual(['foresight', 'byod'])
    expect(soon.currentTeamName).toBe('Platform')
    vi.setSystemTime(Date.now() + 3_600_000 + 1_000)
    expect((await me()).entitlements).toEqual(['foresight', 'byod', 'analytics'])
    const otherTeam = new ObjectId()
    await backend.db
      .collection('teams')
      .insertOne({ _id: otherTeam, name: 'Design', organization_id: who.orgId })
    await backend.db
      .collection('users')
      .updateOne({ _id: who.userId }, { $set: { current_team_id: otherTeam } })
    expect((await me()).currentTeamId).toBe(otherTeam.toHexString())
    await backend.db
      .collection('users')
      .updateOne({ _id: who.userId }, { $set: { current_team_id: null } })
    expect(await me()).toMatchObject({ currentTeamId: null, currentTeamName: null })
  })

  it('never reports a team of another organization', async () => {
    const app = appWith(backend.source())
    const a = await customer(backend.db)
    const b = await customer(backend.db, { entitlements: ['enterprise'] })
    await backend.db
      .collection('users')
      .updateOne({ _id: a.userId }, { $set: { current_team_id: b.teamId } })
    const auth = await (await app.request('/me', bearer(a.token))).json()
    expect(auth).toMatchObject({
      currentTeamId: null,
      currentTeamName: null,
      mongoOrganizationId: a.orgId.toHexString(),
      entitlements: ['foresight', 'byod'],
    })
  })

  it('with a warm cache a request costs one round trip (user and team together)', async () => {
    const app = appWith(backend.source())
    const who = await customer(backend.db)
    expect((await app.request('/me', bearer(who.token))).status).toBe(200)
    backend.resetQueries()
    expect((await app.request('/me', bearer(who.token))).status).toBe(200)
    expect(backend.queries()).toEqual([{ collection: 'users', command: 'aggregate' }])
  })

  it('100 concurrent first requests for one organization load it once', async () => {
    const app = appWith(backend.source())
    const first = await customer(backend.db)
    const members = await Promise.all(
      Array.from({ length: 99 }, async () => {
        const member = stytch.emulator.createMember({ organizationId: first.stytchOrgId })
        const session = await stytch.emulator.createSession({
          memberId: member.member_id,
          durationMinutes: 600,
        })
        await backend.db
          .collection('users')
          .insertOne({ stytch_member_id: member.member_id, current_team_id: first.teamId })
        return session.sessionToken
      })
    )
    backend.resetQueries()
    const responses = await Promise.all(
      [first.token, ...members].map((token) => app.request('/foresight', bearer(token)))
    )
    expect(responses.map((res) => res.status)).toEqual(Array(100).fill(200))
    expect(backend.queries().filter((query) => query.collection === 'organizations')).toHaveLength(
      1
    )
  })

  it.skipIf(!backend.faults)(
    'source down: 503 `entitlements` with nothing cached, the cached organization served while down',
    async () => {
      const logger = captureLogger()
      const app = appWith(backend.source(), logger)
      const warm = await customer(backend.db)
      const cold = await customer(backend.db)
      expect((await app.request('/foresight', bearer(warm.token))).status).toBe(200)
      await backend.faults!.down()
      try {
        const coldRes = await app.request('/foresight', bearer(cold.token))
        expect(coldRes.status).toBe(503)
        expect(coldRes.headers.get('retry-after')).toMatch(/^\d+$/)
        expect(await coldRes.json()).toEqual({
          error: 'service_unavailable',
          message: 'Entitlement service temporarily unavailable',
          type: 'entitlements',
        })
        expect((await app.request('/me', bearer(cold.token))).status).toBe(200)
        const warmRes = await app.request('/foresight', bearer(warm.token))
        expect(warmRes.status).toBe(200)
        expect(logger.lines.some((line) => line.includes('entitlement source unreachable'))).toBe(
          true
        )
      } finally {
        await backend.faults!.up()
      }
    }
  )

  it.skipIf(!backend.faults)(
    'a source slower than its timeout costs one wait, then fails fast until it recovers',
    async () => {
      const app = appWith(backend.source())
      const who = await customer(backend.db)
      expect((await app.request('/me', bearer(who.token))).status).toBe(200)
      backend.faults!.slow(3000)
      try {
        const first = performance.now()
        expect((await app.request('/me', bearer(who.token))).status).toBe(200)
        expect(performance.now() - first).toBeGreaterThan(1000)
        const next = performance.now()
        expect((await app.request('/me', bearer(who.token))).status).toBe(200)
        expect(performance.now() - next).toBeLessThan(300)
      } finally {
        backend.faults!.slow(0)
      }
      await new Promise((resolve) => setTimeout(resolve, 2100))
      expect(await (await app.request('/me', bearer(who.token))).json()).toMatchObject({
        currentTeamName: 'Engineering',
      })
    }
  )

  describe('malformed documents never produce a 5xx', () => {
    const shapes: [string, Parameters<typeof customer>[1]][] = [
      ['entitlements is a string', { entitlements: 'foresight' }],
      ['entitlements holds numbers', { entitlements: [1, 2] }],
      ['entitlements holds a null', { entitlements: ['foresight', null] }],
      ['entitlements is null', { entitlements: null }],
      ['a limit is fractional', { limits: { max_projects: 1.5 } }],
      ['a limit is a string', { limits: { max_projects: '5' } }],
      ['limits is a string', { limits: 'lots' }],
      ['tier is a number', { tier: 42 }],
      ['tier is an object', { tier: { name: 'pro' } }],
      ["the user's current_team_id is not an ObjectId", { user: { current_team_id: 'team-1' } }],
      ['the team name is an object', { team: { name: { first: 'x' } } }],
      ["the team's organization_id is a number", { team: { organization_id: 12 } }],
      ["the organization's _id is not an ObjectId", { org: { _id: `org-${Math.random()}` } }],
      ['the team is missing', { team: null }],
    ]
    it.each(shapes)('%s', async (_name, shape) => {
      const logger = captureLogger()
      const app = appWith(backend.source(), logger)
      const who = await customer(backend.db, shape)
      const me = await app.request('/me', bearer(who.token))
      expect(me.status).toBe(200)
      expect((await app.request('/foresight', bearer(who.token))).status).toBeLessThan(500)
      expect((await app.request('/all', bearer(who.token))).status).toBeLessThan(500)
      const malformedLogged = logger.lines.some((line) =>
        line.includes('malformed entitlement document')
      )
      expect(malformedLogged).toBe(shape?.team !== null)
    })
  })
})

describe('configured by environment alone', () => {
  it.each(['mongodb', 'data-api'] as const)('%s', async (kind) => {
    const backend = backends[kind === 'mongodb' ? 0 : 1]!
    const who = await customer(backend.db)
    const vars =
      kind === 'mongodb'
        ? { STYTCH_MONGODB_URI: backend.uri ?? '' }
        : {
            STYTCH_DATA_API_URL: backend.dataApi?.url ?? '',
            STYTCH_DATA_API_KEY: backend.dataApi?.apiKey ?? '',
          }
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth({ logger: captureLogger() }))
    app.get('/foresight', requireEntitlement('foresight'), (c) =>
      c.json({ tier: c.var.auth.subscriptionTier })
    )
    const res = await app.request('/foresight', bearer(who.token), { ...stytch.env(), ...vars })
    expect(await res.json()).toEqual({ tier: 'standard' })
  })
})
