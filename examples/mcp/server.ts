/**
 * The MCP example on Node: `npm run start:mcp` (port `PORT`, default 3000). With no
 * `STYTCH_PROJECT_ID` set it runs against the built-in Stytch emulator, seeds a member, mints her
 * Connected Apps access tokens and prints them with ready-to-paste commands; with your Stytch
 * project's settings it serves the MCP endpoint alone. `MCP_RESOURCE_URL` is the endpoint's public
 * URL (default `http://127.0.0.1:<port>/mcp`): set it behind a proxy or a domain of your own.
 * Before saying it is ready it sends itself one MCP request, so a configuration error is reported
 * once, here.
 */
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { demoRefusal } from '../shared/demo-stytch.ts'
import { exit, isAddressInUse, portInUse } from '../shared/startup.ts'
import { createMcpApp } from './app.ts'
import { mcpBanner, startMcpDemo, type McpDemo } from './demo.ts'
import { mcpSelfCheck } from './self-check.ts'

const port = Number(process.env.PORT ?? 3000)
let demo: McpDemo | undefined
if (!process.env.STYTCH_PROJECT_ID) {
  const refusal = demoRefusal()
  if (refusal) exit(refusal)
  demo = await startMcpDemo()
}

// The resource URL names the port, known once listening (PORT=0 takes any free one).
let app: Hono | undefined
const server = serve(
  {
    fetch: (request) => app?.fetch(request) ?? new Response('Starting', { status: 503 }),
    port,
    hostname: '127.0.0.1',
  },
  (info) => void ready(`http://127.0.0.1:${info.port}`)
)
server.once('error', (error) => {
  if (isAddressInUse(error)) exit(portInUse(port, 'npm run start:mcp'))
  throw error
})

async function ready(base: string): Promise<void> {
  const resourceUrl = process.env.MCP_RESOURCE_URL ?? `${base}/mcp`
  const mcp = createMcpApp({ resourceUrl, stytch: demo?.auth })
  const path = new URL(resourceUrl).pathname
  const problem = await mcpSelfCheck((to, init) => mcp.request(to, init), path, demo?.token)
  if (problem) exit(`The example did not start. ${problem}`)
  app = mcp
  console.log(`ayz-auth MCP example listening on ${base}`)
  if (demo) console.log(mcpBanner(base, demo))
  else
    console.log(
      `MCP endpoint: ${resourceUrl} (Connected Apps access tokens of your Stytch project)`
    )
}
