/**
 * The "SaaS application" example of the original package, ported: feature-gated routes, a
 * limit-checked create route, team-filtered listing, and feature flags for a frontend; and routes
 * scoped to an organization (`/orgs/:orgId/…`, by id or slug), each guarded by tenancy and a Stytch
 * RBAC permission. App data (projects, analytics, reports, documents) lives in the same MongoDB as
 * the entitlement documents.
 */
import { Hono } from 'hono'
import type { Db } from 'mongodb'
import {
  requireAnyEntitlement,
  requireEntitlement,
  requireOrganization,
  requirePermission,
  stytchAuth,
  withinLimit,
  type AuthEnv,
  type StytchAuthOptions,
} from 'ayz-auth'

/** Builds the SaaS app over `db`, authenticating with `auth` (which names the entitlement source). */
export function createSaasApp(db: Db, auth: StytchAuthOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.get('/', (c) => c.json({ message: 'Welcome to our SaaS platform' }))
  app.use('*', stytchAuth(auth))

  app.get('/dashboard', (c) => {
    const user = c.var.auth
    return c.json({
      user: user.memberEmail,
      organization: user.organizationId,
      subscription: user.subscriptionTier,
      features: user.entitlements ?? [],
    })
  })

  app.get('/analytics/basic', requireEntitlement('analytics'), async (c) => {
    const user = c.var.auth
    const analytics = await db
      .collection('analytics')
      .find({ organization_id: user.mongoOrganizationId }, { projection: { _id: 0 } })
      .limit(100)
      .toArray()
    return c.json({ analytics, tier: user.subscriptionTier })
  })

  app.get('/reports', requireAnyEntitlement('analytics', 'reporting'), async (c) => {
    const reports = await db
      .collection('reports')
      .find({ organization_id: c.var.auth.mongoOrganizationId }, { projection: { _id: 0 } })
      .toArray()
    return c.json({ reports })
  })

  app.get('/projects', async (c) => {
    const user = c.var.auth
    const [query, scope] = user.currentTeamId
      ? [{ team_id: user.currentTeamId }, `Team: ${user.currentTeamName}`]
      : [{ user_id: user.mongoUserId }, 'Personal']
    const projects = await db
      .collection('projects')
      .find(query, { projection: { _id: 0 } })
      .toArray()
    return c.json({ projects, scope, count: projects.length })
  })

  app.post('/projects', async (c) => {
    const user = c.var.auth
    const { name } = await c.req.json<{ name?: unknown }>()
    if (typeof name !== 'string' || name === '') return c.json({ error: 'name is required' }, 400)
    const count = await db
      .collection('projects')
      .countDocuments({ organization_id: user.mongoOrganizationId })
    if (!withinLimit(user, 'max_projects', count)) {
      const limit = user.subscriptionLimits?.['max_projects'] ?? 0
      return c.json(
        {
          error: 'limit_exceeded',
          message: `Your ${user.subscriptionTier} plan allows ${limit} projects`,
          current: count,
          limit,
          upgrade_url: '/billing/upgrade',
        },
        403
      )
    }
    const result = await db.collection('projects').insertOne({
      name,
      organization_id: user.mongoOrganizationId,
      team_id: user.currentTeamId,
      created_by: user.mongoUserId,
    })
    return c.json({ status: 'created', project_id: result.insertedId.toHexString() }, 201)
  })

  // Organization-scoped routes: the :orgId in the path must be the member's own organization (a
  // member of another organization gets 403 tenancy_mismatch, whatever their roles).
  const org = (c: { req: { param(name: 'orgId'): string } }) => c.req.param('orgId')
  const scoped = { organizationId: org }
  app.get('/orgs/:orgId/documents', requirePermission('documents', 'read', scoped), async (c) => {
    const documents = await db
      .collection('documents')
      .find(
        { stytch_org_id: c.var.auth.organizationId, archived: { $in: [null, false] } },
        { projection: { _id: 0, stytch_org_id: 0 } }
      )
      .toArray()
    return c.json({ documents })
  })
  app.delete(
    '/orgs/:orgId/documents/:name',
    requirePermission('documents', 'delete', scoped),
    async (c) => {
      const { matchedCount } = await db
        .collection('documents')
        .updateOne(
          { stytch_org_id: c.var.auth.organizationId, name: c.req.param('name') },
          { $set: { archived: true } }
        )
      return matchedCount ? c.body(null, 204) : c.json({ error: 'not_found' }, 404)
    }
  )
  app.get(
    '/orgs/:orgId/settings',
    requireOrganization(org),
    requirePermission('stytch.organization', 'update.settings'),
    (c) => c.json({ organization: c.var.auth.organizationId, tier: c.var.auth.subscriptionTier })
  )

  app.get('/features', (c) => {
    const user = c.var.auth
    const entitlements = user.entitlements ?? []
    return c.json({
      user: { id: user.memberId, email: user.memberEmail, tier: user.subscriptionTier },
      features: {
        basic_analytics: true,
        advanced_analytics: entitlements.includes('analytics_pro'),
        data_export: entitlements.includes('export'),
        api_access: entitlements.includes('api'),
        custom_branding: ['premium', 'enterprise'].includes(user.subscriptionTier ?? ''),
        team_features: user.currentTeamId !== null,
      },
      limits: user.subscriptionLimits ?? {},
      team: user.currentTeamId ? { id: user.currentTeamId, name: user.currentTeamName } : null,
    })
  })
  return app
}
