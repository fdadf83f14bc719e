/**
 * The MCP example with nothing configured (Node side, for `npm run start:mcp` and
 * `npm run dev:mcp:workers`): the Stytch emulator of `ayz-auth/testing` in this process, one seeded
 * member, Connected Apps access tokens for her, and the banner that shows how to use them.
 */
import type { StytchAuthOptions } from 'ayz-auth'
import { startStytchEmulator } from 'ayz-auth/testing'
import { METADATA_PATH, WHOAMI_SCOPE } from './app.ts'

/** What {@link startMcpDemo} started and minted. */
export interface McpDemo {
  readonly emulatorUrl: string
  /** `projectId`, `secret` and `baseUrl` of the emulator. */
  readonly auth: Required<Pick<StytchAuthOptions, 'projectId' | 'secret' | 'baseUrl'>>
  readonly memberId: string
  readonly organizationId: string
  /** A Connected Apps access token for the member with `openid` and {@link WHOAMI_SCOPE}. */
  readonly token: string
  /** One for the same member with `openid` alone: refused with 403 `insufficient_scope`. */
  readonly narrowToken: string
  close(): Promise<void>
}

/** How long the demo's tokens last: a working day, so a long session needs no restart. */
const TOKEN_HOURS = 8

/**
 * Starts the emulator (on `STYTCH_EMULATOR_PORT`, default a free port), seeds Ada of Acme, and
 * mints her tokens as if she had let an MCP client (the emulator's Connected App) act for her.
 *
 * @example
 * ```ts
 * const demo = await startMcpDemo()
 * const app = createMcpApp({ resourceUrl, stytch: demo.auth })
 * ```
 */
export async function startMcpDemo(): Promise<McpDemo> {
  const stytch = await startStytchEmulator({ port: Number(process.env.STYTCH_EMULATOR_PORT ?? 0) })
  const { member, organization } = await stytch.emulator.seed({
    organization: { name: 'Acme', slug: 'acme' },
    member: { email: 'ada@acme.example', name: 'Ada Admin' },
  })
  const mint = (scopes: string[]) =>
    stytch.emulator.mintAccessToken({
      memberId: member.member_id,
      scopes,
      expiresInSeconds: TOKEN_HOURS * 3600,
    })
  return {
    emulatorUrl: stytch.url,
    auth: { projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url },
    memberId: member.member_id,
    organizationId: organization.organization_id,
    token: await mint(['openid', WHOAMI_SCOPE]),
    narrowToken: await mint(['openid']),
    close: () => stytch.close(),
  }
}

/** The JSON-RPC request of the banner's tool call: `tools/call` of `whoami`. */
const CALL_WHOAMI = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
})

/**
 * The announcement of the demo: loud about the emulator, the tokens as shell variables, then
 * commands that work as printed in the same shell, each with its expected status after `#` (a
 * test runs them all, in order), and what an MCP client needs.
 *
 * @example
 * ```ts
 * console.log(mcpBanner('http://127.0.0.1:3000', demo))
 * ```
 */
export function mcpBanner(base: string, demo: McpDemo): string {
  const mcp = `${base}/mcp`
  const post = (token: string | undefined) =>
    [
      'curl -i -X POST',
      ...(token ? [`-H "Authorization: Bearer $${token}"`] : []),
      `-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'`,
      `-d '${CALL_WHOAMI}'`,
      mcp,
    ].join(' ')
  return [
    '',
    '*** DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this MCP server uses the LOCAL STYTCH EMULATOR',
    `*** of ayz-auth/testing at ${demo.emulatorUrl}. It hands out fake tokens: never use it in production.`,
    '',
    `Ada Admin <ada@acme.example>, member ${demo.memberId} of Acme (${demo.organizationId}),`,
    `let an MCP client act for her: Connected Apps access tokens, valid ${TOKEN_HOURS} hours.`,
    `With the scopes "openid ${WHOAMI_SCOPE}" (what the whoami tool needs), and "openid" alone:`,
    `export MCP_TOKEN=${demo.token}`,
    `export NARROW_TOKEN=${demo.narrowToken}`,
    '',
    'Then try these in the same shell (expected status after #):',
    `curl -i ${base}${METADATA_PATH}  # 200 the resource's metadata: the emulator is its authorization server`,
    `${post(undefined)}  # 401 no token: WWW-Authenticate names the metadata (resource_metadata)`,
    `${post('MCP_TOKEN')}  # 200 whoami: Ada's member id, Acme, the scopes`,
    `${post('NARROW_TOKEN')}  # 403 insufficient_scope: the token lacks "${WHOAMI_SCOPE}"`,
    '',
    `An MCP client (Streamable HTTP): URL ${mcp}, header "Authorization: Bearer $MCP_TOKEN".`,
    '',
  ].join('\n')
}
