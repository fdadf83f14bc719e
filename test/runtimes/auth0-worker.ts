/**
 * A Worker an Auth0 team writes: `auth0Auth()` with the Upstash cache (the shared tier a Worker
 * can reach), from the built package. workers-bundle.test.ts builds it as `wrangler deploy` would
 * and looks at what went in.
 */
import { Hono } from 'hono'
import { auth0Auth, requirePermission, type Auth0Env } from 'ayz-auth'
import 'ayz-auth/upstash'

const app = new Hono<Auth0Env>()
app.use('/api/*', auth0Auth())
app.get('/api/documents', requirePermission('documents', 'read'), (c) =>
  c.json({ kind: c.var.auth.kind })
)

export default app
