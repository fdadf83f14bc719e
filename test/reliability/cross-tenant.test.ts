/**
 * Cross-tenant isolation: a member of organization A never receives organization B's
 * entitlements, tier, limits or team, whatever the cache state: cold, warm, under concurrency, in
 * a Redis shared by two runtimes, with B's entries copied over A's keys, or with MongoDB down and
 * only B cached. A member of A whose `current_team_id` points at B's team gets no team at all.
 */
import { ObjectId } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import type { StytchAuthOptions } from '../../src/index.ts'
import type { EmulatedSession } from '../../src/testing/index.ts'
import { redisOrSkip } from '../fixtures/redis/index.ts'
import { HandlerLedger } from './ledger.ts'
import { bearer, captureLogger, recordingApp, uniquePrefix } from './recording-app.ts'
import { keysIn, valueIn, writeIn } from './redis-access.ts'
import { sleep, until } from './scenarios/scenario.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { DATABASE, startWorld, type Customer, type World } from './world.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World

/** What an organization is subscribed to. */
interface Subscription {
  readonly entitlements: string[]
  readonly tier: string
  readonly limits: Record<string, number>
  readonly teamName: string
}

const SUBSCRIPTION_A: Subscription = {
  entitlements: ['analytics_basic'],
  tier: 'standard',
  limits: { max_projects: 1 },
  teamName: 'Alpha team',
}
const SUBSCRIPTION_B: Subscription = {
  entitlements: ['foresight', 'b_secret'],
  tier: 'enterprise',
  limits: { max_projects: 999 },
  teamName: 'Bravo team',
}

/** A member, the session they send, and exactly the fields they must get. */
interface Tenant {
  readonly name: string
  readonly session: EmulatedSession
  readonly expected: Record<string, unknown>
  /** Whether `requireEntitlement('foresight')` lets them in. */
  readonly entitled: boolean
}

let a: Tenant
/** A second member of A, whose current team is B's. */
let astray: Tenant
let b: Tenant

beforeAll(async () => {
  world = await startWorld({ redis: availability.available, mongo: true })
  const orgA = await world.customer(ledger, subscribed(SUBSCRIPTION_A))
  const orgB = await world.customer(ledger, subscribed(SUBSCRIPTION_B))
  a = tenant(
    'A',
    orgA.session,
    orgA,
    SUBSCRIPTION_A,
    { id: orgA.teamId, name: SUBSCRIPTION_A.teamName },
    orgA.userId
  )
  b = tenant(
    'B',
    orgB.session,
    orgB,
    SUBSCRIPTION_B,
    { id: orgB.teamId, name: SUBSCRIPTION_B.teamName },
    orgB.userId
  )
  const member = await secondMemberOf(orgA, orgB.teamId)
  astray = tenant('A, current team of B', member.session, orgA, SUBSCRIPTION_A, null, member.userId)
})
afterAll(async () => {
  expect(ledger.violations()).toEqual([])
  await world?.close()
})

function subscribed(subscription: Subscription) {
  return {
    entitlements: subscription.entitlements,
    tier: subscription.tier,
    limits: subscription.limits,
    teamName: subscription.teamName,
  }
}

function tenant(
  name: string,
  session: EmulatedSession,
  org: Customer,
  subscription: Subscription,
  team: { id: ObjectId; name: string } | null,
  userId: ObjectId
): Tenant {
  return {
    name,
    session,
    entitled: subscription.entitlements.includes('foresight'),
    expected: {
      memberId: session.member.member_id,
      organizationId: org.session.organization.organization_id,
      entitlementsStatus: 'loaded',
      entitlements: subscription.entitlements,
      subscriptionTier: subscription.tier,
      subscriptionLimits: subscription.limits,
      currentTeamId: team?.id.toHexString() ?? null,
      currentTeamName: team?.name ?? null,
      mongoUserId: userId.toHexString(),
      mongoOrganizationId: org.orgId.toHexString(),
    },
  }
}

/** Another member of `org` in Stytch and MongoDB, whose `current_team_id` is `teamId`. */
async function secondMemberOf(
  org: Customer,
  teamId: ObjectId
): Promise<{ session: EmulatedSession; userId: ObjectId }> {
  const { emulator } = world.stytch
  const member = emulator.createMember({
    organizationId: org.session.organization.organization_id,
    email: 'astray@a.example',
  })
  const session = ledger.issue(
    await emulator.createSession({ memberId: member.member_id, durationMinutes: 600 })
  )
  const userId = new ObjectId()
  world
    .mongo!.store.collection(DATABASE, 'users')
    .insertOne({ _id: userId, stytch_member_id: member.member_id, current_team_id: teamId })
  return { session, userId }
}

type App = ReturnType<typeof recordingApp>

function appWith(extra: StytchAuthOptions): App {
  return recordingApp(
    {
      ...world.stytchOptions(),
      logger: captureLogger(),
      entitlements: world.mongoSource(),
      ...extra,
    },
    ledger
  )
}

/** Asserts that `tenant` gets exactly their own fields from `app`, and the guard they are due. */
async function expectOwnFields(app: App, who: Tenant): Promise<void> {
  const res = await app.request('/api/me', bearer(who.session.sessionToken))
  expect(res.status).toBe(200)
  const auth = (await res.json()) as Record<string, unknown>
  const seen = Object.fromEntries(Object.keys(who.expected).map((field) => [field, auth[field]]))
  expect({ tenant: who.name, ...seen }).toEqual({ tenant: who.name, ...who.expected })
  const guarded = await app.request('/api/entitled', bearer(who.session.sessionToken))
  expect({ tenant: who.name, status: guarded.status }).toEqual({
    tenant: who.name,
    status: who.entitled ? 200 : 403,
  })
  if (!who.entitled)
    expect(await guarded.json()).toMatchObject({ current_tier: who.expected['subscriptionTier'] })
}

describe('in process memory', () => {
  it('cold and warm, in both orders', async () => {
    for (const order of [
      [a, b, astray],
      [b, astray, a],
    ]) {
      const app = appWith({ prefix: uniquePrefix('tenants-cold') })
      for (const who of [...order, ...order]) await expectOwnFields(app, who)
    }
  })

  it('150 concurrent first requests of both organizations, interleaved', async () => {
    // Each request reads the member's team fresh: a longer query timeout than the fault rows use,
    // so that this many concurrent queries on one in-process server are answered, not timed out.
    const app = appWith({
      prefix: uniquePrefix('tenants-concurrent'),
      entitlements: world.mongoSource(5000),
    })
    const tenants = [a, b, astray]
    await Promise.all(
      Array.from({ length: 150 }, (_, i) => expectOwnFields(app, tenants[(i * 7) % 3]!))
    )
  })

  it('with teams cached too (teamTtl)', async () => {
    const app = appWith({ prefix: uniquePrefix('tenants-team-ttl'), teamTtl: 60 })
    for (const who of [b, a, astray, b, a, astray]) await expectOwnFields(app, who)
  })
})

describe.skipIf(!availability.available)('in a Redis shared by two runtimes', () => {
  const DB = 7
  const L1_TTL_SECONDS = 0.05

  /** Two runtimes of one project and prefix (say, two instances), with their own stores, sources and loggers. */
  function twoRuntimes(teamTtl = 0): [App, App, string] {
    const prefix = uniquePrefix('tenants-shared')
    const runtime = () =>
      appWith({
        prefix,
        teamTtl,
        l1Ttl: L1_TTL_SECONDS,
        cache: redisCache({ url: world.redis!.url, db: DB }),
      })
    return [runtime(), runtime(), prefix]
  }

  const letL1Expire = () => sleep(L1_TTL_SECONDS * 2000)

  it.each([0, 60])(
    'what one runtime cached for B never reaches A on the other (teamTtl %i)',
    async (teamTtl) => {
      const [x, y] = twoRuntimes(teamTtl)
      await expectOwnFields(y, b)
      await letL1Expire()
      await expectOwnFields(x, a)
      await expectOwnFields(x, astray)
      await letL1Expire()
      await expectOwnFields(y, a)
      await expectOwnFields(x, b)
      await expectOwnFields(y, astray)
    }
  )

  it("B's entries copied over A's keys (organization, user id, member) are never served to A", async () => {
    const [x, y, prefix] = twoRuntimes(60)
    for (const who of [a, b, astray]) await expectOwnFields(y, who)
    const port = world.redis!.port
    await until(
      async () =>
        (await keysIn(port, DB)).filter((key) => key.startsWith(`${prefix}:`)).length >= 10,
      2000,
      'entries never reached Redis'
    )
    const idOf = (who: Tenant) => ({
      org: who.session.organization.organization_id,
      member: who.session.member.member_id,
    })
    const copies: [string, string][] = []
    for (const victim of [a, astray]) {
      copies.push([`${prefix}:org:${idOf(b).org}`, `${prefix}:org:${idOf(victim).org}`])
      copies.push([`${prefix}:user:${idOf(b).member}`, `${prefix}:user:${idOf(victim).member}`])
      copies.push([`${prefix}:member:${idOf(b).member}`, `${prefix}:member:${idOf(victim).member}`])
    }
    for (const [from, to] of copies) {
      const value = await valueIn(port, DB, from)
      expect(value, from).not.toBeNull()
      await writeIn(port, DB, to, value!)
    }
    await letL1Expire()
    for (const who of [a, astray, b]) await expectOwnFields(x, who)
  })
})

describe('MongoDB down with only B cached', () => {
  it('A gets no entitlements (guards 503), never B’s', async () => {
    const app = appWith({ prefix: uniquePrefix('tenants-down') })
    await expectOwnFields(app, b)
    await world.mongo!.faults.down()
    try {
      const res = await app.request('/api/me', bearer(a.session.sessionToken))
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({
        organizationId: a.expected['organizationId'],
        entitlementsStatus: 'unavailable',
        entitlements: null,
        subscriptionTier: null,
        currentTeamId: null,
      })
      const guarded = await app.request('/api/entitled', bearer(a.session.sessionToken))
      expect(guarded.status).toBe(503)
      expect(await guarded.json()).toMatchObject({ type: 'entitlements' })
    } finally {
      await world.mongo!.faults.up()
    }
    await until(
      async () =>
        (await app.request('/api/entitled', bearer(a.session.sessionToken))).status === 403,
      5000,
      'A never came back'
    )
    await expectOwnFields(app, a)
  })
})
