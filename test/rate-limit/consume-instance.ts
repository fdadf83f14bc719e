/**
 * One app instance deciding rate limits, as its own process: `redisCache` on the redis-server at
 * `REDIS_URL`. It prints `{"ready":true}` once connected (the script cached by a first decision on
 * another key), then, when a line arrives on stdin, sends `COUNT` concurrent decisions on `KEY`
 * (`LIMIT` per minute), prints `{"allowed":n}` and exits.
 */
import { Redis } from 'ioredis'
import { createInterface } from 'node:readline'
import { redisCache } from '../../adapters/ioredis.ts'

const { REDIS_URL, KEY, LIMIT, COUNT } = process.env
if (!REDIS_URL || !KEY || !LIMIT || !COUNT) throw new Error('set REDIS_URL, KEY, LIMIT and COUNT')
const client = new Redis(REDIS_URL)
const { consume } = redisCache({ client, commandTimeoutMs: 10_000 })
if (!consume) throw new Error('redisCache has no consume')
const request = { limit: Number(LIMIT), windowMs: 60_000, cost: 1 }
await consume(`${KEY}-warm-up`, request)
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
const lines = createInterface({ input: process.stdin })
lines.once('line', async () => {
  const decisions = await Promise.all(
    Array.from({ length: Number(COUNT) }, () => consume(KEY, request))
  )
  const allowed = decisions.filter((decision) => decision.allowed).length
  process.stdout.write(`${JSON.stringify({ allowed })}\n`)
  lines.close()
  await client.quit()
})
