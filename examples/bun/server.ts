/**
 * The ayz-auth example on Bun: `bun run examples/bun/server.ts`, configured by the environment
 * (`STYTCH_PROJECT_ID`, `STYTCH_SECRET`, and optionally the cache and entitlement variables). Bun
 * serves the default export; the cache adapter a setting selects (`STYTCH_CACHE=upstash`) loads from
 * `node_modules` on first use.
 */
import { createApp } from '../shared/app.ts'

export default {
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  fetch: createApp().fetch,
}
