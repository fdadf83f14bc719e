/**
 * The example app, written once and served by every runtime's example (Node, Bun, Deno, Workers):
 * public, protected, optional, claim- and factor-guarded, entitlement-guarded and rate-limited
 * routes, and the organization's API keys (managed under `/api/keys`, used on `/v1/*`).
 * Configuration comes from the environment (Workers: bindings), so the same code runs anywhere;
 * `auth` options, when given, win over it (the demo passes the emulator's and its entitlements).
 * The entitlement routes need an entitlement source (MongoDB, the Data API, or the demo's
 * in-memory one); without one they answer 403 "Entitlements feature is not configured".
 */
import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import {
  createApiKey,
  listApiKeys,
  rateLimit,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  requireScopes,
  revokeApiKey,
  revokeSession,
  stytchAuth,
  type ApiKeyContext,
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
  // The organization's API keys: created by a member (shown once), listed, revoked.
  api.post('/keys', async (c) =>
    c.json(await createApiKey(c, { name: 'Demo script', scopes: ['read:documents'] }), 201)
  )
  api.get('/keys', async (c) => c.json(await listApiKeys(c)))
  api.delete('/keys/:id', async (c) => {
    await revokeApiKey(c, c.req.param('id'))
    return c.body(null, 204)
  })
  api.post('/logout', async (c) => {
    await revokeSession(c)
    // A browser signed in with Stytch's cookies: drop them too, so the page is anonymous at once.
    deleteCookie(c, 'stytch_session', { path: '/' })
    deleteCookie(c, 'stytch_session_jwt', { path: '/' })
    return c.body(null, 204)
  })
  app.route('/api', api)

  // What programs call with a key: `Authorization: Bearer ak_…`, decided by the key's scopes.
  const programs = new Hono<{ Variables: { auth: ApiKeyContext } }>()
  programs.use('*', stytchAuth({ ...auth, acceptTokens: ['api_key'] }))
  programs.get('/documents', requireScopes('read:documents'), (c) =>
    c.json({ message: 'Documents of your organization', key: c.var.auth.name })
  )
  app.route('/v1', programs)
  return app
}
