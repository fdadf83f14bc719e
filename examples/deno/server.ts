/**
 * The ayz-auth example on Deno: `deno serve --allow-net --allow-env server.ts` in this folder, with
 * `ayz-auth` and `hono` from npm through `deno.json` (or `jsr:@ayz/auth` from JSR, see the README).
 * Configured by the environment (`STYTCH_PROJECT_ID`, `STYTCH_SECRET`, …). The HTTP backends are
 * imported so `STYTCH_CACHE=upstash` and `STYTCH_DATA_API_URL` select them, as on Deno Deploy.
 */
import 'ayz-auth/upstash'
import 'ayz-auth/data-api'
import { createApp } from '../shared/app.ts'

export default { fetch: createApp().fetch }
