/**
 * The MCP example on Cloudflare Workers: the same app as on Node, configured by the Worker's
 * bindings (`STYTCH_PROJECT_ID`, `STYTCH_SECRET`, and `STYTCH_BASE_URL` for a local emulator;
 * `.dev.vars` locally). `MCP_RESOURCE_URL` names the endpoint's public URL; without it, the URL the
 * request came to (on Workers, one of the routes Cloudflare sends to this Worker) with path `/mcp`.
 *
 * With nothing configured: `npm run dev:mcp:workers` (a local Stytch emulator beside
 * `wrangler dev`). With your Stytch project: `npx wrangler dev --config examples/mcp/wrangler.toml`;
 * deploy: `npx wrangler deploy --config examples/mcp/wrangler.toml`.
 */
import type { Hono } from 'hono'
import { createMcpApp } from './app.ts'

/** The binding this Worker reads itself (ayz-auth reads the `STYTCH_*` ones). */
interface McpBindings {
  readonly MCP_RESOURCE_URL?: string
}

/** One app per resource URL: one per hostname the Worker is reached at, made on its first request. */
const apps = new Map<string, Hono>()

export default {
  fetch(request: Request, env: McpBindings, ctx: unknown): Response | Promise<Response> {
    const resourceUrl = env.MCP_RESOURCE_URL ?? new URL('/mcp', request.url).href
    let app = apps.get(resourceUrl)
    if (!app) apps.set(resourceUrl, (app = createMcpApp({ resourceUrl })))
    return app.fetch(request, env, ctx as Parameters<Hono['fetch']>[2])
  },
}
