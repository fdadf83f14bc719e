/**
 * One instance of a user's Auth0 API, as its own process: `auth0Auth()` configured by environment
 * alone (AUTH0_*, the Redis URL, the cache secret). The Auth0 revocation tests start several of
 * these against one Redis.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import '../../adapters/ioredis.ts'
import { auth0Auth, revokeSession, type Auth0Env } from '../../src/index.ts'

const app = new Hono<Auth0Env>()
app.use('/api/*', auth0Auth())
app.get('/api/me', (c) => c.json({ kind: c.var.auth.kind }))
app.post('/api/logout', async (c) => {
  await revokeSession(c)
  return c.body(null, 204)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
