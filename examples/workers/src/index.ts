/**
 * The ayz-auth example on Cloudflare Workers: the shared example app, configured by the Worker's
 * bindings (`wrangler.toml` `[vars]` and secrets). Workers have no TCP sockets, so the shared
 * cache is Upstash (REST) and entitlements come from a Data API endpoint (HTTP); importing the two
 * adapters registers them, and the bindings select them. The bundle holds neither ioredis nor the
 * MongoDB driver.
 *
 * Run it: `npx wrangler dev` (secrets in `.dev.vars`); deploy it: `npx wrangler deploy`.
 */
import 'ayz-auth/upstash'
import 'ayz-auth/data-api'
import { createApp } from '../../shared/app.ts'

export default createApp()
