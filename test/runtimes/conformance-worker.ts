/**
 * The conformance app, one Worker-style module served by every runtime: the Workers example (the
 * shared example app plus the Upstash and Data API adapters, imported from the built package), a
 * probe that says which runtime answers and where its configuration can come from, and routes for
 * access tokens (`/tokens/*`), RBAC (`/rbac/*`), rate limits (`/limited/*`) and Auth0
 * (`/auth0/*`), which the example does not have, and
 * telemetry routes (`/otel/*`, reported at `/__telemetry`, see `conformance-telemetry.ts`). Its
 * only value export is the default: workerd takes every named export for an entrypoint.
 */
import { Hono } from 'hono'
import { env, getRuntimeKey } from 'hono/adapter'
import {
  auth0Auth,
  memoryCache,
  rateLimit,
  requireEntitlement,
  requireOrganization,
  requirePermission,
  requireScopes,
  revokeSession,
  stytchAuth,
  type Auth0Env,
  type AuthEnv,
  type MachineContext,
  type OAuthContext,
  type Principal,
} from 'ayz-auth'
import example from '../../examples/workers/src/index.ts'
import { telemetryRoutes } from './conformance-telemetry.ts'

/** What `GET /__runtime` answers. */
export interface RuntimeProbe {
  /** Hono's name for the runtime: `node`, `bun`, `deno` or `workerd`. */
  readonly runtime: string
  /** Whether `env(c)`, where the library reads its settings, holds STYTCH_PROJECT_ID. */
  readonly projectIdInEnv: boolean
  /** Whether a `process.env` exists at all (not on Workers without `nodejs_compat`). */
  readonly processEnvExists: boolean
}

const app = new Hono()
app.get('/__runtime', (c) => {
  const { process } = globalThis as { process?: { env?: object } }
  const probe: RuntimeProbe = {
    runtime: getRuntimeKey(),
    projectIdInEnv: typeof env<Record<string, unknown>>(c).STYTCH_PROJECT_ID === 'string',
    processEnvExists: typeof process?.env === 'object',
  }
  return c.json(probe)
})

// Access tokens, verified locally against the JWKS: each route accepts the kinds it names only.
const m2m = new Hono<{ Variables: { auth: MachineContext } }>()
m2m.use('*', stytchAuth({ acceptTokens: ['m2m'] }))
m2m.get('/', (c) => c.json(c.var.auth))
m2m.get('/reports', requireScopes('read:reports'), (c) => c.json({ clientId: c.var.auth.clientId }))
app.route('/tokens/m2m', m2m)

const oauth = new Hono<{ Variables: { auth: OAuthContext } }>()
oauth.use('*', stytchAuth({ acceptTokens: ['oauth'] }))
oauth.get('/', (c) => c.json(c.var.auth))
app.route('/tokens/oauth', oauth)

const any = new Hono<{ Variables: { auth: Principal } }>()
any.use('*', stytchAuth({ acceptTokens: ['session', 'm2m', 'oauth'] }))
any.get('/', (c) => c.json({ kind: c.var.auth.kind }))
app.route('/tokens/any', any)

// RBAC, decided locally from the policy Stytch serves (loaded once, then cached).
const rbac = new Hono<AuthEnv>()
rbac.use('*', stytchAuth())
rbac.get('/documents', requirePermission('documents', 'write'), (c) =>
  c.json({ memberId: c.var.auth.memberId })
)
rbac.get(
  '/orgs/:org/documents',
  requireOrganization((c) => c.req.param('org')),
  requirePermission('documents', 'read'),
  (c) => c.json({ organizationId: c.var.auth.organizationId })
)
app.route('/rbac', rbac)

// Rate limits: by the client's IP as each runtime reports its connection, in process; by member
// on the shared tier (Upstash, from the environment).
const limited = new Hono<AuthEnv>()
limited.get(
  '/ip',
  rateLimit({ name: 'per_ip', by: 'ip', limit: 3, window: 60, store: memoryCache() }),
  (c) => c.json({ limited: 'by ip' })
)
limited.get('/member', stytchAuth(), rateLimit({ name: 'per_member', limit: 3, window: 60 }), (c) =>
  c.json({ memberId: c.var.auth.memberId })
)
app.route('/limited', limited)

// Auth0 access tokens (users' and M2M applications'), on the same caches and entitlements.
const auth0 = new Hono<Auth0Env>()
auth0.use('*', auth0Auth())
auth0.get('/me', (c) => c.json(c.var.auth))
auth0.get('/documents', requirePermission('documents', 'read'), (c) =>
  c.json({ kind: c.var.auth.kind })
)
auth0.get('/reports', requireScopes('read:reports'), (c) => c.json({ kind: c.var.auth.kind }))
auth0.get(
  '/orgs/:org',
  requireOrganization((c) => c.req.param('org')),
  (c) => c.json({ organizationId: c.var.auth.organizationId })
)
auth0.get('/foresight', requireEntitlement('foresight'), (c) =>
  c.json({ tier: c.var.auth.subscriptionTier, team: c.var.auth.currentTeamName })
)
auth0.post('/logout', async (c) => {
  await revokeSession(c)
  return c.body(null, 204)
})
app.route('/auth0', auth0)

// OpenTelemetry spans and metrics, onEvent and Server-Timing, with an SDK inside the app.
app.route('/', telemetryRoutes())

app.route('/', example)

export default app
