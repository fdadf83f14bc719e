/**
 * A user's script, as its own process: it notes the process's active resources before it uses the
 * library, authenticates the requests of `TOKENS` (comma separated) through `stytchAuth()`
 * configured by environment (Redis, a Redis Cluster, MongoDB, …), waits `SETTLE_MS` (default 100)
 * as a server would between requests, calls `closeAuth()`, and notes the resources again the
 * moment it resolves. Prints `{"before":[…],"after":[…],"statuses":[…]}` and exits.
 */
import { Hono } from 'hono'
import '../../adapters/ioredis.ts'
import '../../adapters/mongodb.ts'
import { closeAuth, stytchAuth } from '../../src/index.ts'

const before = process.getActiveResourcesInfo()
const app = new Hono()
app.use('*', stytchAuth())
app.get('/', (c) => c.text('ok'))
const statuses: number[] = []
for (const token of (process.env.TOKENS ?? '').split(',')) {
  const res = await app.request('/', { headers: { authorization: `Bearer ${token}` } })
  statuses.push(res.status)
}
await new Promise((resolve) => setTimeout(resolve, Number(process.env.SETTLE_MS ?? 100)))
await closeAuth()
const after = process.getActiveResourcesInfo()
process.stdout.write(`${JSON.stringify({ before, after, statuses })}\n`)
process.exit(0)
