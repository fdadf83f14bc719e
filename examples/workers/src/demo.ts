/**
 * The Workers example as `npm run dev:workers` serves it, with nothing configured: the same app,
 * pointed at the Stytch emulator that the dev script runs beside `wrangler dev` (through the usual
 * `STYTCH_PROJECT_ID`, `STYTCH_SECRET` and `STYTCH_BASE_URL` bindings), with the demo's in-memory
 * entitlements for the organizations the script seeded (binding `AYZ_DEMO_IDS`, JSON). Never
 * deployed: `wrangler deploy` uploads `index.ts`.
 */
import 'ayz-auth/upstash'
import 'ayz-auth/data-api'
import type { Hono } from 'hono'
import { createApp } from '../../shared/app.ts'
import { demoEntitlements, type DemoIds } from '../../shared/demo-entitlements.ts'

/** The binding the dev script adds to the Stytch settings. */
interface DemoBindings {
  readonly AYZ_DEMO_IDS?: string
}

let app: Hono | undefined

export default {
  fetch(request: Request, env: DemoBindings, ctx: unknown): Response | Promise<Response> {
    app ??= env.AYZ_DEMO_IDS
      ? createApp({ entitlements: demoEntitlements(JSON.parse(env.AYZ_DEMO_IDS) as DemoIds) })
      : createApp()
    return app.fetch(request, env, ctx as Parameters<Hono['fetch']>[2])
  },
}
