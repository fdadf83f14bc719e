/**
 * An app instance (its own process) whose Redis is given in code, `cache: redisCache({ url,
 * commandTimeoutMs })`, with a command timeout long enough (`AYZ_COMMAND_TIMEOUT_MS`) that a slow
 * link to Redis delays its writes instead of failing them: the other end of a race with an
 * instance on a fast link. Stytch settings come from the environment.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { redisCache } from '../../adapters/ioredis.ts'
import { revokeSession, stytchAuth, type AuthEnv } from '../../src/index.ts'

const cache = redisCache({
  url: process.env.STYTCH_REDIS_URL!,
  commandTimeoutMs: Number(process.env.AYZ_COMMAND_TIMEOUT_MS ?? 250),
})
const app = new Hono<AuthEnv>()
app.use('/api/*', stytchAuth({ cache }))
app.get('/api/me', (c) => c.json({ member: c.var.auth.memberId }))
app.post('/api/logout', async (c) => {
  await revokeSession(c)
  return c.body(null, 204)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
