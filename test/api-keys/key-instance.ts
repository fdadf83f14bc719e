/**
 * One instance of the README's API-key app as its own process, mounted twice:
 * - `/redis/…`, configured by environment alone: the Stytch project (`STYTCH_*`), the key store and
 *   entitlements (`STYTCH_MONGODB_URI`), Redis as the shared tier (`STYTCH_REDIS_URL`),
 *   `STYTCH_CACHE_L1_TTL`;
 * - `/upstash/…`, the same app with Upstash as its shared tier (`cache: upstashCache(…)` from
 *   `AYZ_UPSTASH_URL` and `AYZ_UPSTASH_TOKEN`), its own prefix and `l1Ttl` (`AYZ_UPSTASH_L1_TTL`).
 * Two projects' state apart (another prefix): one process serves two fleets, so a test starts three
 * processes, not six. Prints `{"port":…}` once it listens.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import '../../adapters/ioredis.ts'
import '../../adapters/mongodb.ts'
import { upstashCache } from '../../adapters/upstash.ts'
import { keyApp } from './key-app.ts'

const { AYZ_UPSTASH_URL, AYZ_UPSTASH_TOKEN, AYZ_UPSTASH_L1_TTL } = process.env
const app = new Hono()
app.route('/redis', keyApp())
if (AYZ_UPSTASH_URL && AYZ_UPSTASH_TOKEN)
  app.route(
    '/upstash',
    keyApp({
      cache: upstashCache({ url: AYZ_UPSTASH_URL, token: AYZ_UPSTASH_TOKEN }),
      prefix: 'fleet_upstash',
      l1Ttl: Number(AYZ_UPSTASH_L1_TTL ?? 1),
    })
  )
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
