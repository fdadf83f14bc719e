/**
 * The ayz-auth example on Cloudflare Workers: the shared example app, configured by the Worker's
 * bindings (secrets, `.dev.vars` locally). Workers have no TCP sockets, so the shared cache is
 * Upstash (REST, selected by `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`; without them
 * the per-isolate memory cache) and entitlements come from a Data API endpoint (HTTP); importing
 * the two adapters lets the bindings select them. The bundle holds neither ioredis nor the MongoDB
 * driver.
 *
 * With nothing configured: `npm run dev:workers` (a local Stytch emulator beside `wrangler dev`,
 * serving `demo.ts`). With your Stytch project: `npx wrangler dev`; deploy: `npx wrangler deploy`.
 */
import 'ayz-auth/upstash'
import 'ayz-auth/data-api'
import { createApp } from '../../shared/app.ts'

export default createApp()
