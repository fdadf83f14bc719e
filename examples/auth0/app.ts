/**
 * The Auth0 example app: an API behind `auth0Auth()` with the routes the Auth0 integration plan
 * asks for: who the caller is, documents guarded by permissions (`read:documents`,
 * `write:documents`), reports for M2M applications by scope, a route per organization, a feature of
 * the paid plan (entitlements by `org_id`), and logout. Configuration comes from the environment
 * (`AUTH0_DOMAIN`, `AUTH0_API_AUDIENCE`, …); `auth` options, when given, win over it (the demo
 * passes the emulator's and its entitlements).
 */
import { Hono } from 'hono'
import {
  auth0Auth,
  requireEntitlement,
  requireOrganization,
  requirePermission,
  requireScopes,
  revokeSession,
  type Auth0AuthOptions,
  type Auth0Env,
} from 'ayz-auth'

/**
 * Builds the Auth0 example app.
 *
 * @example
 * ```ts
 * export default createAuth0App() // configured by AUTH0_DOMAIN and AUTH0_API_AUDIENCE
 * ```
 */
export function createAuth0App(auth: Auth0AuthOptions = {}): Hono {
  const app = new Hono()
  app.get('/', (c) => c.json({ message: 'This endpoint is public' }))

  const api = new Hono<Auth0Env>()
  api.use('*', auth0Auth(auth))
  api.get('/me', (c) => c.json(c.var.auth))
  api.get('/documents', requirePermission('documents', 'read'), (c) =>
    c.json({ documents: ['Q3 plan', 'Roadmap'], readBy: who(c.var.auth) })
  )
  api.post('/documents', requirePermission('documents', 'write'), (c) =>
    c.json({ message: 'Document saved', by: who(c.var.auth) }, 201)
  )
  api.get('/reports', requireScopes('read:reports'), (c) =>
    c.json({ reports: ['Weekly usage'], readBy: who(c.var.auth) })
  )
  api.get(
    '/orgs/:org',
    requireOrganization((c) => c.req.param('org')),
    (c) => c.json({ organization: c.var.auth.organizationName ?? c.var.auth.organizationId })
  )
  api.get('/foresight', requireEntitlement('foresight'), (c) =>
    c.json({ message: 'Foresight unlocked', tier: c.var.auth.subscriptionTier })
  )
  api.post('/logout', async (c) => {
    // Auth0 cannot revoke an access token: this API refuses it until it expires.
    await revokeSession(c)
    return c.body(null, 204)
  })
  app.route('/api', api)
  return app
}

/** Who a principal is, for the responses: a user's id or a machine's client id. */
function who(auth: Auth0Env['Variables']['auth']): string {
  return auth.kind === 'user' ? auth.userId : auth.clientId
}
