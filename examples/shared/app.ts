/**
 * The example app, written once and served by every runtime's example (Node, Bun, Deno, Workers):
 * public, protected, optional, claim- and factor-guarded, and entitlement-guarded routes.
 * Configuration comes from the environment (Workers: bindings), so the same code runs anywhere.
 * The entitlement routes need an entitlement source (MongoDB or the Data API); without one they
 * answer 403 "entitlements not configured".
 */
import { Hono } from 'hono'
import {
  requireAllEntitlements,
  requireClaims,
  requireEntitlement,
  requireFactors,
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type OptionalAuthEnv,
} from 'ayz-auth'

/** Builds the example app. */
export function createApp(): Hono {
  const app = new Hono()
  app.get('/', (c) => c.json({ message: 'This endpoint is public' }))

  const shop = new Hono<OptionalAuthEnv>()
  shop.use('*', stytchAuth({ optional: true }))
  shop.get('/', (c) => {
    const auth = c.var.auth
    return c.json({
      message: auth ? `Welcome back, ${auth.memberName ?? auth.memberEmail}` : 'Hello, guest',
    })
  })
  app.route('/shop', shop)

  const api = new Hono<AuthEnv>()
  api.use('*', stytchAuth())
  api.get('/me', (c) => c.json(c.var.auth))
  api.get('/admin', requireClaims('admin'), (c) =>
    c.json({ message: `Admin access granted to ${c.var.auth.memberEmail}` })
  )
  api.get('/secure', requireFactors('mfa'), (c) =>
    c.json({ message: 'MFA verified', factors: c.var.auth.authenticationFactors })
  )
  api.get('/foresight', requireEntitlement('foresight'), (c) =>
    c.json({ message: 'Foresight unlocked', tier: c.var.auth.subscriptionTier })
  )
  api.get('/advanced', requireAllEntitlements('foresight', 'advanced_analytics'), (c) =>
    c.json({ message: 'Advanced analytics unlocked', team: c.var.auth.currentTeamName })
  )
  api.post('/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  app.route('/api', api)
  return app
}
