/**
 * `npm run dev:mcp:workers`: the MCP example's Worker with nothing configured. This script starts
 * the Stytch emulator here, in Node, seeds a member and mints her tokens, and runs `wrangler dev`
 * on `examples/mcp/worker.ts` with `--var` bindings pointing at it (see
 * `../shared/wrangler-dev.ts`). Once the Worker answers an MCP request with the demo's token, it
 * prints the same banner as `npm run start:mcp`.
 */
import { demoRefusal } from '../shared/demo-stytch.ts'
import { exit } from '../shared/startup.ts'
import { runWranglerDev } from '../shared/wrangler-dev.ts'
import { mcpBanner, startMcpDemo } from './demo.ts'
import { mcpSelfCheck } from './self-check.ts'

const refusal = demoRefusal()
if (refusal) exit(refusal)
const demo = await startMcpDemo()

runWranglerDev({
  worker: ['--config', 'examples/mcp/wrangler.toml'],
  bindings: {
    STYTCH_PROJECT_ID: demo.auth.projectId,
    STYTCH_SECRET: demo.auth.secret,
    STYTCH_BASE_URL: demo.auth.baseUrl,
  },
  check: (base) => mcpSelfCheck((path, init) => fetch(`${base}${path}`, init), '/mcp', demo.token),
  announce: (base) => {
    console.log(`ayz-auth MCP example (Workers, wrangler dev) listening on ${base}`)
    console.log(mcpBanner(base, demo))
  },
  close: () => demo.close(),
})
