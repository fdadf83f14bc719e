import { mongoEntitlements } from 'ayz-auth/mongodb'
import { MongoClient, ObjectId, type Db } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSaasApp } from '../../examples/saas/app.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'

let stytch: RunningStytchEmulator
let mongo: MongoWireServer
let client: MongoClient
let db: Db
beforeAll(async () => {
  stytch = await startStytchEmulator()
  mongo = await startMongoWireServer({ dbName: 'saas' })
  client = await new MongoClient(mongo.uri).connect()
  db = client.db('saas')
})
afterAll(async () => {
  await client.close()
  await mongo.close()
  await stytch.close()
})

let customers = 0

/** A customer with a subscription and (optionally) a team, and a session for one of its members. */
async function customer(
  tier: string,
  entitlements: string[],
  limits: Record<string, number>,
  team: string | null,
  member: { roles?: string[] } = {}
) {
  const seeded = await stytch.emulator.seed({
    durationMinutes: 120,
    organization: { name: `Customer ${++customers}`, slug: `customer-${customers}` },
    member,
  })
  const { sessionToken, organization } = seeded
  const orgId = new ObjectId()
  const teamId = new ObjectId()
  await db.collection('organizations').insertOne({
    _id: orgId,
    stytch_org_id: organization.organization_id,
    subscription_tier: tier,
    entitlements,
    subscription_limits: limits,
  })
  if (team)
    await db.collection('teams').insertOne({ _id: teamId, name: team, organization_id: orgId })
  await db
    .collection('users')
    .insertOne({ stytch_member_id: seeded.member.member_id, current_team_id: team ? teamId : null })
  return {
    stytchOrgId: organization.organization_id,
    slug: organization.organization_slug,
    headers: { authorization: `Bearer ${sessionToken}` },
    orgId: orgId.toHexString(),
    teamId: teamId.toHexString(),
  }
}

describe('the SaaS example app', () => {
  const app = () =>
    createSaasApp(db, { ...envOf(), entitlements: mongoEntitlements({ client, db: 'saas' }) })
  const envOf = () => ({ projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url })

  it('gates features by entitlement and shows the subscription on the dashboard', async () => {
    const premium = await customer(
      'premium',
      ['analytics', 'export'],
      { max_projects: 10 },
      'Engineering'
    )
    const basic = await customer('free', [], { max_projects: 1 }, null)
    const saas = app()
    await db.collection('analytics').insertOne({ organization_id: premium.orgId, visits: 42 })
    expect(await (await saas.request('/dashboard', premium)).json()).toMatchObject({
      subscription: 'premium',
      features: ['analytics', 'export'],
    })
    expect(await (await saas.request('/analytics/basic', premium)).json()).toEqual({
      analytics: [{ organization_id: premium.orgId, visits: 42 }],
      tier: 'premium',
    })
    expect((await saas.request('/reports', premium)).status).toBe(200)
    const denied = await saas.request('/analytics/basic', basic)
    expect(denied.status).toBe(403)
    expect(await denied.json()).toMatchObject({
      required_entitlement: 'analytics',
      current_tier: 'free',
      upgrade_required: true,
    })
  })

  it('creates projects until the plan limit, listing them by team', async () => {
    const team = await customer('standard', [], { max_projects: 2 }, 'Platform')
    const saas = app()
    const create = (name: string) =>
      saas.request('/projects', {
        method: 'POST',
        headers: { ...team.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
    expect((await create('one')).status).toBe(201)
    expect((await create('two')).status).toBe(201)
    const third = await create('three')
    expect(third.status).toBe(403)
    expect(await third.json()).toEqual({
      error: 'limit_exceeded',
      message: 'Your standard plan allows 2 projects',
      current: 2,
      limit: 2,
      upgrade_url: '/billing/upgrade',
    })
    const listed = (await (await saas.request('/projects', team)).json()) as {
      projects: { name: string; team_id: string }[]
      scope: string
      count: number
    }
    expect(listed).toMatchObject({ scope: 'Team: Platform', count: 2 })
    expect(listed.projects.map((project) => project.team_id)).toEqual([team.teamId, team.teamId])
  })

  it('serves feature flags for a frontend', async () => {
    const enterprise = await customer(
      'enterprise',
      ['analytics_pro', 'api'],
      { max_projects: -1 },
      'Core'
    )
    expect(await (await app().request('/features', enterprise)).json()).toMatchObject({
      features: {
        basic_analytics: true,
        advanced_analytics: true,
        data_export: false,
        api_access: true,
        custom_branding: true,
        team_features: true,
      },
      limits: { max_projects: -1 },
      team: { id: enterprise.teamId, name: 'Core' },
    })
  })

  it('scopes /orgs/:orgId routes to the member’s organization and role, by id or slug', async () => {
    const acme = await customer('premium', [], {}, null, { roles: ['stytch_admin'] })
    const viewer = await customer('premium', [], {}, null)
    const saas = app()
    await db
      .collection('documents')
      .insertOne({ stytch_org_id: acme.stytchOrgId, name: 'plan.pdf', archived: false })
    const own = acme.stytchOrgId
    expect(await (await saas.request(`/orgs/${own}/documents`, acme)).json()).toEqual({
      documents: [{ name: 'plan.pdf', archived: false }],
    })
    expect((await saas.request(`/orgs/${acme.slug}/settings`, acme)).status).toBe(200)
    // A plain member may read documents but not delete them or change settings.
    const viewerOrg = viewer.stytchOrgId
    expect((await saas.request(`/orgs/${viewerOrg}/documents`, viewer)).status).toBe(200)
    for (const [method, path] of [
      ['DELETE', `/orgs/${viewerOrg}/documents/plan.pdf`],
      ['GET', `/orgs/${viewerOrg}/settings`],
    ] as const) {
      const res = await saas.request(path, { method, ...viewer })
      expect(await res.json()).toMatchObject({ error: 'insufficient_permissions' })
    }
    const deleted = await saas.request(`/orgs/${own}/documents/plan.pdf`, {
      method: 'DELETE',
      ...acme,
    })
    expect(deleted.status).toBe(204)
  })

  it('answers 403 tenancy_mismatch on every organization-scoped route for a foreign organization', async () => {
    const admin = await customer('enterprise', ['analytics'], {}, null, { roles: ['stytch_admin'] })
    const foreign = await customer('enterprise', ['analytics'], {}, null)
    const saas = app()
    const scoped = saas.routes.filter((route) => route.path.includes(':orgId'))
    expect(scoped.length).toBeGreaterThanOrEqual(3)
    for (const route of scoped) {
      for (const other of [foreign.stytchOrgId, foreign.slug]) {
        const path = route.path.replace(':orgId', other).replace(':name', 'plan.pdf')
        const res = await saas.request(path, { method: route.method, ...admin })
        expect({
          route: `${route.method} ${route.path}`,
          status: res.status,
          body: await res.json(),
        }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 403,
          body: expect.objectContaining({ error: 'tenancy_mismatch' }),
        })
      }
    }
  })
})
