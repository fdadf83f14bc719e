/**
 * The example app, written once and served by every runtime's example (Node, Bun, Deno, Workers):
 * public, protected, optional, claim- and factor-guarded, entitlement-guarded and rate-limited
 * routes.
 * Configuration comes from the environment (Workers: bindings), so the same code runs anywhere;
 * `auth` options, when given, win over it (the demo passes the emulator's and its entitlements).
 * The entitlement routes need an entitlement source (MongoDB, the Data API, or the demo's
 * in-memory one); without one they answer 403 "Entitlements feature is not configured".
 */
import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import {
  rateLimit,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type OptionalAuthEnv,
  type StytchAuthOptions,
} from 'ayz-auth'

/** The guarded routes under `/api`, with what guards them (the demo page tries each). */
export const FEATURES = [
  {
    path: '/api/reports',
    name: 'Reports',
    guard: "requireAnyEntitlement('reporting', 'analytics')",
  },
  { path: '/api/foresight', name: 'Foresight', guard: "requireEntitlement('foresight')" },
  {
    path: '/api/advanced',
    name: 'Advanced analytics',
    guard: "requireAllEntitlements('foresight', 'advanced_analytics')",
  },
  { path: '/api/admin', name: 'Admin area', guard: "requireClaims('admin')" },
  { path: '/api/secure', name: 'MFA area', guard: "requireFactors('mfa')" },
] as const

/**
 * Builds the example app.
 *
 * @example
 * ```ts
 * export default createApp() // configured by STYTCH_PROJECT_ID, STYTCH_SECRET, …
 * ```
 */
export function createApp(auth: StytchAuthOptions = {}): Hono {
  const app = new Hono()
  app.get('/', (c) => c.json({ message: 'This endpoint is public' }))

  const shop = new Hono<OptionalAuthEnv>()
  shop.use('*', stytchAuth({ ...auth, optional: true }))
  shop.get('/', (c) => {
    const member = c.var.auth
    return c.json({
      message: member ? `Welcome back, ${member.memberName ?? member.memberEmail}` : 'Hello, guest',
    })
  })
  app.route('/shop', shop)

  const api = new Hono<AuthEnv>()
  api.use('*', stytchAuth(auth))
  api.get('/me', (c) => c.json(c.var.auth))
  api.get('/admin', requireClaims('admin'), (c) =>
    c.json({ message: `Admin access granted to ${c.var.auth.memberEmail}` })
  )
  api.get('/secure', requireFactors('mfa'), (c) =>
    c.json({ message: 'MFA verified', factors: c.var.auth.authenticationFactors })
  )
  api.get('/reports', requireAnyEntitlement('reporting', 'analytics'), (c) =>
    c.json({ message: 'Reports unlocked', tier: c.var.auth.subscriptionTier })
  )
  api.get('/foresight', requireEntitlement('foresight'), (c) =>
    c.json({ message: 'Foresight unlocked', tier: c.var.auth.subscriptionTier })
  )
  api.get('/advanced', requireAllEntitlements('foresight', 'advanced_analytics'), (c) =>
    c.json({ message: 'Advanced analytics unlocked', team: c.var.auth.currentTeamName })
  )
  // Each member may call it 3 times a minute: RateLimit-Policy and RateLimit say how many are
  // left, and a 4th call is a 429 with Retry-After (in process, or on the shared cache).
  api.get('/limited', rateLimit({ name: 'demo', limit: 3, window: 60 }), (c) =>
    c.json({ message: 'Within the limit' })
  )
  api.post('/logout', async (c) => {
    await revokeSession(c)
    // A browser signed in with Stytch's cookies: drop them too, so the page is anonymous at once.
    deleteCookie(c, 'stytch_session', { path: '/' })
    deleteCookie(c, 'stytch_session_jwt', { path: '/' })
    return c.body(null, 204)
  })
  app.route('/api', api)
  return app
}
