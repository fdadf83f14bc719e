/**
 * One instance of a user's app, as its own process: `stytchAuth()` configured by environment
 * alone. The shared-cache tests start two of these against one Redis.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import '../../adapters/ioredis.ts'
import '../../adapters/upstash.ts'
import { requirePermission, revokeSession, stytchAuth, type AuthEnv } from '../../src/index.ts'

const app = new Hono<AuthEnv>()
// AYZ_FLEET=off turns the fleet's single flight off (the scale-out tests compare both).
app.use('/api/*', stytchAuth({ fleetSingleFlight: process.env.AYZ_FLEET !== 'off' }))
app.get('/api/me', (c) => c.json({ member: c.var.auth.memberId }))
app.get('/api/documents', requirePermission('documents', 'read'), (c) => c.text('documents'))
app.post('/api/logout', async (c) => {
  await revokeSession(c)
  return c.body(null, 204)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
