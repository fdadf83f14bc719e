/**
 * One instance of an app with a rate-limited route, as its own process: `stytchAuth()` (a test
 * verifier: each token is the member `member-<token>`, no network) with the redis-server at
 * `REDIS_URL` as its shared tier, then `rateLimit({ limit: LIMIT, window: 60 })` by principal, on
 * that tier by default. It prints `{"port":n}` once listening, and each log line as JSON
 * (`{"level":"warn","message":…}`), so a test can count what each instance said.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { redisCache } from '../../adapters/ioredis.ts'
import { rateLimit, stytchAuth, type AuthEnv, type Logger } from '../../src/index.ts'
import { createAuthContext, testVerifier } from '../../src/testing/index.ts'

const { REDIS_URL, LIMIT } = process.env
if (!REDIS_URL || !LIMIT) throw new Error('set REDIS_URL and LIMIT')
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)
const logger: Logger = {
  debug: () => {},
  info: (message) => print({ level: 'info', message }),
  warn: (message) => print({ level: 'warn', message }),
  error: (message) => print({ level: 'error', message }),
}

const app = new Hono<AuthEnv>()
app.use(
  '/api/*',
  stytchAuth({
    verifier: testVerifier((token) => createAuthContext({ memberId: `member-${token}` })),
    entitlements: null,
    secret: 'fleet-secret',
    cache: redisCache({ url: REDIS_URL, cooldownMs: 300 }),
    logger,
  }),
  rateLimit({ limit: Number(LIMIT), window: 60 })
)
app.get('/api/limited', (c) => c.json({ member: c.var.auth.memberId }))
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => print({ port: info.port }))
