/**
 * The app the access-token attacks are aimed at: route groups that accept members' sessions only,
 * M2M tokens only, Connected Apps (OAuth) tokens only, all three, and all three optionally, with the
 * scope guards users write. Every group has the same options, so they share one runtime and one
 * cache: a token verified by one group is in the cache another group looks in.
 */
import { Hono } from 'hono'
import {
  requireScopes,
  stytchAuth,
  type AcceptedToken,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import type { PrincipalLedger } from './principal-ledger.ts'

/** The scope every valid token of the suite holds: `/<group>/reports` requires it. */
export const HELD_SCOPE = 'read:reports'
/** A scope no token of the suite holds: `/<group>/secrets` requires it. */
export const MISSING_SCOPE = 'read:secrets'

/** The route groups, by the tokens they accept. */
export const GROUPS = {
  session: ['session'],
  m2m: ['m2m'],
  oauth: ['oauth'],
  any: ['session', 'm2m', 'oauth'],
} as const satisfies Record<string, readonly AcceptedToken[]>

export type Group = keyof typeof GROUPS

/**
 * `/<group>/me`, `/<group>/reports` (behind `requireScopes(HELD_SCOPE)`) and `/<group>/secrets`
 * (behind `requireScopes(MISSING_SCOPE)`) for every group, and `/optional/me` accepting all three
 * kinds optionally; every handler records what it saw.
 *
 * @example
 * ```ts
 * const app = tokenApp({ projectId, secret, baseUrl, prefix }, tokens)
 * await app.request('/m2m/reports', bearer(m2mToken))
 * ```
 */
export function tokenApp(options: StytchAuthOptions, ledger: PrincipalLedger): Hono {
  const app = new Hono()
  for (const [group, acceptTokens] of Object.entries(GROUPS)) {
    const routes = new Hono<PrincipalEnv>()
    routes.use('*', stytchAuth({ ...options, acceptTokens }))
    routes.get('/me', (c) => {
      ledger.record(c, `/${group}/me`)
      return c.json(c.var.auth)
    })
    routes.get('/reports', requireScopes(HELD_SCOPE), (c) => {
      ledger.record(c, `/${group}/reports`)
      return c.json(c.var.auth)
    })
    routes.get('/secrets', requireScopes(MISSING_SCOPE), (c) => {
      ledger.record(c, `/${group}/secrets`)
      return c.json(c.var.auth)
    })
    app.route(`/${group}`, routes)
  }
  const optional = new Hono<{ Variables: { auth: unknown } }>()
  optional.use('*', stytchAuth({ ...options, acceptTokens: GROUPS.any, optional: true }))
  optional.get('/me', (c) => {
    ledger.record(c, '/optional/me', true)
    return c.json({ auth: c.var.auth })
  })
  app.route('/optional', optional)
  return app
}
