/**
 * The MCP example (examples/mcp) as an MCP client meets it: started from the command line, on Node
 * (`examples/mcp/server.ts`) and on Workers (`wrangler dev` on `examples/mcp/worker.ts`), each
 * configured with a Stytch emulator this test runs. The official MCP client (`Client` with
 * `StreamableHTTPClientTransport`) connects with a member's Connected Apps token, lists the tool and
 * calls it; without a token it is answered 401 naming the resource's metadata, from which the MCP
 * SDK's own discovery finds the emulator as the authorization server; other kinds of token are
 * refused, and a token without the tool's scope is answered 403 `insufficient_scope`. (The first
 * run with nothing configured: mcp-first-run.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startStytchEmulator,
  type EmulatedSession,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { ROOT } from '../runtimes/build-worker.ts'
import { isolatedEnv, spawnServer, type SpawnedServer } from '../runtimes/spawn-server.ts'
import { noise } from './run-example.ts'

let stytch: RunningStytchEmulator
let ada: EmulatedSession
let workdir = ''

beforeAll(async () => {
  stytch = await startStytchEmulator()
  ada = await stytch.emulator.seed({
    organization: { name: 'Acme', slug: 'acme' },
    member: { email: 'ada@acme.example', name: 'Ada Admin' },
  })
  workdir = await mkdtemp(join(tmpdir(), 'ayz-auth-mcp-'))
})
afterAll(async () => {
  await stytch?.close()
  if (workdir) await rm(workdir, { recursive: true, force: true })
})

const CLIENT_ID = 'connected-app-test-mcp-client'
/** A Connected Apps access token for Ada, as if she had let {@link CLIENT_ID} act for her. */
const adaToken = (scopes: string[], expiresInSeconds?: number) =>
  stytch.emulator.mintAccessToken({
    memberId: ada.member.member_id,
    scopes,
    clientId: CLIENT_ID,
    expiresInSeconds,
  })

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/

/** How each runtime's example is started, configured by the emulator's settings. */
const RUNTIMES: Record<string, () => Promise<SpawnedServer>> = {
  'Node (examples/mcp/server.ts)': () =>
    spawnServer({
      command: process.execPath,
      args: ['--import', 'tsx', 'examples/mcp/server.ts'],
      cwd: ROOT,
      env: isolatedEnv({ ...stytch.env(), PORT: '0' }),
      ready: LISTENING,
    }),
  'Workers (wrangler dev on examples/mcp/worker.ts)': () =>
    spawnServer({
      command: bin('wrangler'),
      args: [
        'dev',
        '--config',
        'examples/mcp/wrangler.toml',
        ...Object.entries(stytch.env()).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
        '--ip',
        '127.0.0.1',
        '--port',
        '0',
        '--inspector-port',
        '0',
        '--show-interactive-dev-session=false',
      ],
      cwd: ROOT,
      // As on a fresh machine (wrangler's settings folder is new); offline, no `Request.cf` download.
      env: isolatedEnv({ XDG_CONFIG_HOME: workdir, CLOUDFLARE_CF_FETCH_ENABLED: 'false' }),
      ready: /Ready on http:\/\/127\.0\.0\.1:(\d+)/,
      timeoutMs: 60_000,
    }),
}

/** What the client's transport received: status and headers of every response. */
interface Seen {
  readonly status: number
  readonly headers: Headers
}

/**
 * The official MCP client, connecting over Streamable HTTP to `url` with `token` (if any) as an
 * `Authorization: Bearer` header; its transport fetches through the real `fetch`, and keeps what
 * came back in `seen`.
 */
function mcpClient(url: string, token?: string) {
  const seen: Seen[] = []
  const client = new Client({ name: 'ayz-auth-mcp-test', version: '0.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      seen.push({ status: response.status, headers: response.headers })
      return response
    },
  })
  return { client, seen, connect: () => client.connect(transport) }
}

/** The error `client.connect` fails with, and the last response the transport got. */
async function refused(url: string, token?: string) {
  const { client, seen, connect } = mcpClient(url, token)
  try {
    const error: unknown = await connect().then(
      () => new Error('connected'),
      (failure: unknown) => failure
    )
    expect(error).toBeInstanceOf(StreamableHTTPError)
    const last = seen.at(-1)
    if (!last) throw new Error('the transport received no response')
    return { code: (error as StreamableHTTPError).code, last, requests: seen.length }
  } finally {
    await client.close()
  }
}

describe.each(Object.entries(RUNTIMES))('the MCP example on %s', (_, start) => {
  let server: SpawnedServer
  let mcpUrl = ''
  let metadataUrl = ''
  beforeAll(async () => {
    server = await start()
    mcpUrl = `${server.url}/mcp`
    metadataUrl = `${server.url}/.well-known/oauth-protected-resource`
  })
  afterAll(() => server?.stop())

  it("lists whoami and calls it: the token's member, organization, app and scopes", async () => {
    const token = await adaToken(['openid', 'profile'])
    const { client, connect } = mcpClient(mcpUrl, token)
    try {
      await connect()
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toEqual(['whoami'])
      expect(tools[0]?.annotations).toMatchObject({ readOnlyHint: true })

      const result = await client.callTool({ name: 'whoami', arguments: {} })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toEqual({
        memberId: ada.member.member_id,
        organizationId: ada.organization.organization_id,
        clientId: CLIENT_ID,
        scopes: ['openid', 'profile'],
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      })
      const [text] = result.content as { type: string; text: string }[]
      expect(text?.text).toContain(`member ${ada.member.member_id}`)
      expect(text?.text).toContain(`organization ${ada.organization.organization_id}`)
      // Never the token itself, although the tool's authInfo holds it.
      expect(JSON.stringify(result)).not.toContain(token)
    } finally {
      await client.close()
    }
  })

  it('without a token: 401 naming the metadata, which the SDK follows to the emulator', async () => {
    const { code, last } = await refused(mcpUrl)
    expect(code).toBe(401)
    const challenge = extractWWWAuthenticateParams(new Response(null, last))
    expect(challenge.resourceMetadataUrl?.href).toBe(metadataUrl)

    // The document itself, as any client fetches it.
    const document = await fetch(metadataUrl)
    expect(document.status).toBe(200)
    expect(await document.json()).toEqual({
      resource: mcpUrl,
      authorization_servers: [stytch.url],
      scopes_supported: ['profile'],
      bearer_methods_supported: ['header'],
    })

    // The MCP SDK's discovery, from the challenge's URL, then the authorization server's metadata.
    const resource = await discoverOAuthProtectedResourceMetadata(mcpUrl, {
      resourceMetadataUrl: challenge.resourceMetadataUrl,
    })
    expect(resource).toMatchObject({ resource: mcpUrl, authorization_servers: [stytch.url] })
    const authorizationServer = await discoverAuthorizationServerMetadata(stytch.url)
    expect(authorizationServer).toMatchObject({
      issuer: stytch.url,
      token_endpoint: `${stytch.url}/v1/public/${stytch.projectId}/oauth2/token`,
      code_challenge_methods_supported: expect.arrayContaining(['S256']),
    })
    expect(authorizationServer?.scopes_supported).toContain('profile')

    // And with no challenge to start from (path-aware, then root, RFC 9728 §3.1): the same.
    const info = await discoverOAuthServerInfo(mcpUrl)
    expect(info.authorizationServerUrl).toBe(stytch.url)
    expect(info.resourceMetadata?.resource).toBe(mcpUrl)
    expect(info.authorizationServerMetadata?.issuer).toBe(stytch.url)
  })

  it("refuses an M2M token and a member's own session (token or JWT) with 401", async () => {
    const { clientId } = stytch.emulator.createM2MClient({ scopes: ['profile'] })
    const machine = await stytch.emulator.mintM2MToken({ clientId, scopes: ['profile'] })
    const expired = await adaToken(['openid', 'profile'], -60)
    for (const token of [machine, ada.sessionToken, ada.sessionJwt, expired]) {
      const { code, last } = await refused(mcpUrl, token)
      expect(code).toBe(401)
      expect(extractWWWAuthenticateParams(new Response(null, last))).toEqual({
        error: 'invalid_token',
        resourceMetadataUrl: new URL(metadataUrl),
      })
    }
  })

  it('answers a token without the tool’s scope 403 insufficient_scope, naming the scope', async () => {
    const { code, last } = await refused(mcpUrl, await adaToken(['openid']))
    expect(code).toBe(403)
    const challenge = extractWWWAuthenticateParams(new Response(null, last))
    expect(challenge).toEqual({
      error: 'insufficient_scope',
      scope: 'profile',
      resourceMetadataUrl: new URL(metadataUrl),
    })
  })

  it('answers GET and DELETE 405 (stateless: no stream, no session), once authenticated', async () => {
    const authorization = `Bearer ${await adaToken(['profile'])}`
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(mcpUrl, { method, headers: { authorization } })
      expect({ method, status: response.status }).toEqual({ method, status: 405 })
      expect(response.headers.get('allow')).toBe('POST')
      await response.body?.cancel()
    }
    const anonymous = await fetch(mcpUrl)
    expect(anonymous.status).toBe(401)
    await anonymous.body?.cancel()
  })

  it('printed nothing alarming', () => {
    expect(noise(server.output())).toEqual([])
  })
})
