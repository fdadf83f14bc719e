/**
 * The MCP example's app, the same on Node and on Workers: an MCP server (the official TypeScript
 * SDK, stateless Streamable HTTP) at `/mcp`, behind `stytchAuth()` accepting Stytch Connected Apps
 * access tokens only, with the RFC 9728 metadata document that tells an MCP client where to get
 * one. Its one tool, `whoami`, answers from the verified token: the member, the organization, the
 * Connected App and the scopes.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import {
  protectedResourceMetadata,
  requireScopes,
  stytchAuth,
  toMcpAuthInfo,
  type StytchAuthOptions,
} from 'ayz-auth'
import { Hono } from 'hono'
import * as z from 'zod'

/** The scope a token needs to use this MCP server (a standard OpenID Connect scope). */
export const WHOAMI_SCOPE = 'profile'

/** Where the RFC 9728 metadata document is served. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource'

/** What {@link createMcpApp} needs to know. */
export interface McpAppOptions {
  /**
   * The MCP endpoint's public URL, e.g. `https://mcp.example.com/mcp`: the `resource` of the
   * metadata document, whose URL (on the same origin) every 401 names. Its path is where the MCP
   * server is mounted.
   */
  readonly resourceUrl: string
  /** Stytch settings, as `stytchAuth()` takes them (default: from the environment or bindings). */
  readonly stytch?: StytchAuthOptions
}

/**
 * The MCP server as a Hono app: `POST <resource path>` speaks MCP (JSON responses, no sessions)
 * for a member's Connected Apps token holding {@link WHOAMI_SCOPE}; `GET` and `DELETE` there
 * answer 405 (no server-initiated stream, no session to end); the metadata document is served at
 * {@link METADATA_PATH}, and at its path-suffixed twin for the resource's path (RFC 9728 §3.1).
 *
 * @example
 * ```ts
 * const app = createMcpApp({ resourceUrl: 'https://mcp.example.com/mcp' })
 * export default app // Workers; on Node: serve({ fetch: app.fetch })
 * ```
 */
export function createMcpApp({ resourceUrl, stytch = {} }: McpAppOptions): Hono {
  const resource = new URL(resourceUrl)
  const metadataUrl = new URL(METADATA_PATH, resource).href
  const metadata = protectedResourceMetadata({
    resource: resource.href,
    scopesSupported: [WHOAMI_SCOPE],
    stytch,
  })
  const app = new Hono()
  app.get(METADATA_PATH, metadata)
  app.get(`${METADATA_PATH}${resource.pathname}`, metadata)
  app.on(
    ['POST', 'GET', 'DELETE'],
    resource.pathname,
    // A member acting through an app; M2M tokens and members' own sessions are refused (401).
    stytchAuth({ ...stytch, acceptTokens: ['oauth'], resourceMetadataUrl: metadataUrl }),
    // 403 `insufficient_scope` (with the challenge naming the scope) for a token without it.
    requireScopes(WHOAMI_SCOPE),
    async (c) => {
      if (c.req.method !== 'POST') return methodNotAllowed()
      const server = whoamiServer()
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      })
      await server.connect(transport)
      try {
        // The verified principal reaches the tool as the SDK's `extra.authInfo`.
        return await transport.handleRequest(c.req.raw, { authInfo: toMcpAuthInfo(c.var.auth, c) })
      } finally {
        await server.close()
      }
    }
  )
  return app
}

/** What `whoami` returns as structured content (and describes as its output schema). */
const WHOAMI_OUTPUT = {
  memberId: z.string(),
  organizationId: z.string(),
  clientId: z.string().describe('The Connected App the member acts through'),
  scopes: z.array(z.string()),
  expiresAt: z.string().describe('When the access token expires (ISO 8601)'),
}

/**
 * A validator for the SDK's JSON Schema checks (elicitation answers, which this server never asks
 * for), made once: the server is made anew for every request.
 */
const validator = new AjvJsonSchemaValidator()

/** An MCP server with the `whoami` tool, for one request. */
function whoamiServer(): McpServer {
  const server = new McpServer(
    { name: 'ayz-auth-mcp-example', version: '0.1.0' },
    { jsonSchemaValidator: validator }
  )
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'The Stytch member this MCP client acts for: member id, organization, Connected App and granted scopes.',
      outputSchema: WHOAMI_OUTPUT,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ authInfo }) => {
      const who = authInfo?.extra
      if (!authInfo || typeof who?.memberId !== 'string' || typeof who.organizationId !== 'string')
        return { isError: true, content: [{ type: 'text', text: 'No member is authenticated.' }] }
      const result = {
        memberId: who.memberId,
        organizationId: who.organizationId,
        clientId: authInfo.clientId,
        scopes: authInfo.scopes,
        expiresAt: new Date((authInfo.expiresAt ?? 0) * 1000).toISOString(),
      }
      return {
        content: [
          {
            type: 'text',
            text:
              `You are member ${result.memberId} of organization ${result.organizationId}, ` +
              `through the Connected App ${result.clientId}, with the scopes ` +
              `"${result.scopes.join(' ')}" until ${result.expiresAt}.`,
          },
        ],
        structuredContent: result,
      }
    }
  )
  return server
}

/** 405 as the MCP SDK's stateless servers answer it: a JSON-RPC error, and `Allow: POST`. */
function methodNotAllowed(): Response {
  return Response.json(
    { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null },
    { status: 405, headers: { allow: 'POST' } }
  )
}
