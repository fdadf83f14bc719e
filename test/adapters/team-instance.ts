/**
 * One instance of an app that caches teams (`teamTtl: 60`) and changes them through an admin
 * route that calls `invalidateMember`: entitlements from `STYTCH_MONGODB_URI`, Redis from
 * `STYTCH_REDIS_URL`, Stytch from the environment.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import '../../adapters/ioredis.ts'
import '../../adapters/mongodb.ts'
import { invalidateMember, stytchAuth, type AuthEnv } from '../../src/index.ts'

const app = new Hono<AuthEnv>()
app.use('/api/*', stytchAuth({ teamTtl: 60 }))
app.get('/api/team', (c) => c.json({ team: c.var.auth.currentTeamName }))
app.post('/api/team/changed', async (c) => {
  await invalidateMember(c, c.var.auth.memberId)
  return c.body(null, 204)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
