/**
 * The app every attack in this suite is aimed at: a real Hono app with the routes users write,
 * whose handlers record every `c.var.auth` they see in a {@link HandlerLedger}.
 */
import { Hono } from 'hono'
import {
  requireEntitlement,
  requirePermission,
  stytchAuth,
  type AuthEnv,
  type OptionalAuthEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import type { HandlerLedger } from './ledger.ts'

/** The entitlement `/api/entitled` requires. */
export const GUARDED_ENTITLEMENT = 'foresight'

/**
 * A public route, protected routes (`/api/me`, `/api/entitled` behind `requireEntitlement`,
 * `/api/permitted` behind `requirePermission`) and an optional route (`/optional/me`), all recording what their handlers see.
 *
 * @example
 * ```ts
 * const app = recordingApp({ projectId, secret, baseUrl }, ledger)
 * await app.request('/api/me', bearer(token))
 * ```
 */
export function recordingApp(options: StytchAuthOptions, ledger: HandlerLedger): Hono {
  const app = new Hono()
  app.get('/public', (c) => c.text('public'))

  const protectedRoutes = new Hono<AuthEnv>()
  protectedRoutes.use('*', stytchAuth(options))
  protectedRoutes.get('/me', (c) => {
    ledger.record(c, '/api/me')
    return c.json(c.var.auth)
  })
  protectedRoutes.get('/entitled', requireEntitlement(GUARDED_ENTITLEMENT), (c) => {
    ledger.record(c, '/api/entitled')
    return c.json(c.var.auth)
  })
  protectedRoutes.get('/permitted', requirePermission('documents', 'read'), (c) => {
    ledger.record(c, '/api/permitted')
    return c.json(c.var.auth)
  })
  app.route('/api', protectedRoutes)

  const optionalRoutes = new Hono<OptionalAuthEnv>()
  optionalRoutes.use('*', stytchAuth({ ...options, optional: true }))
  optionalRoutes.get('/me', (c) => {
    ledger.record(c, '/optional/me', true)
    return c.json({ auth: c.var.auth })
  })
  app.route('/optional', optionalRoutes)
  return app
}

export { bearer, captureLogger } from '../integration/harness.ts'

let prefixes = 0

/** A cache prefix no other app of the process uses, so each app gets its own caches and runtime. */
export function uniquePrefix(label: string): string {
  return `rel_${label.replace(/[^a-z0-9]+/gi, '_')}_${process.pid}_${++prefixes}`
}
