/**
 * @module
 * An API (or MCP server) as an OAuth protected resource: its RFC 9728 metadata document, which
 * names Stytch as the authorization server, and the `AuthInfo` shape the MCP SDK's transports take.
 */
import type { Context, Handler } from 'hono'
import { readEnv } from '../config/read-env.ts'
import { parseOptions, resolveConfig, STYTCH_HOSTS } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { Principal } from '../context/auth-env.ts'

/** What {@link protectedResourceMetadata} describes. */
export interface ProtectedResourceOptions {
  /**
   * This resource server's identifier: its URL, e.g. `https://api.example.com/mcp` (or a function
   * of the request, when the public URL varies).
   */
  readonly resource: string | ((c: Context) => string)
  /**
   * The authorization servers that issue tokens for it. Default: the project's Stytch domain
   * (`STYTCH_BASE_URL`, or Stytch's API host), which serves the Connected Apps OAuth endpoints.
   */
  readonly authorizationServers?: readonly string[]
  /** The scopes clients may ask for, e.g. `['read:documents']`. */
  readonly scopesSupported?: readonly string[]
  /** Settings read for the default authorization server (`baseUrl`, `env`), as `stytchAuth()`'s. */
  readonly stytch?: StytchAuthOptions
}

/**
 * A Hono handler serving the OAuth 2.0 Protected Resource Metadata document (RFC 9728) that MCP
 * clients fetch after a 401 names it in `WWW-Authenticate: Bearer resource_metadata="…"` (set
 * `stytchAuth({ resourceMetadataUrl })` to the URL you mount it at).
 *
 * @example
 * ```ts
 * app.get('/.well-known/oauth-protected-resource', protectedResourceMetadata({
 *   resource: 'https://api.example.com/mcp',
 *   scopesSupported: ['read:documents'],
 * }))
 * app.use('/mcp', stytchAuth({
 *   acceptTokens: ['oauth'],
 *   resourceMetadataUrl: 'https://api.example.com/.well-known/oauth-protected-resource',
 * }))
 * ```
 */
export function protectedResourceMetadata(options: ProtectedResourceOptions): Handler {
  return function protectedResourceMetadata(c) {
    const config = options.authorizationServers
      ? undefined
      : resolveConfig(parseOptions(options.stytch ?? {}), readEnv(c))
    const authorizationServers = options.authorizationServers ?? [
      config?.baseUrl ?? STYTCH_HOSTS[config?.stytchEnv ?? 'test'],
    ]
    return c.json(
      {
        resource: typeof options.resource === 'function' ? options.resource(c) : options.resource,
        authorization_servers: authorizationServers,
        ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
        bearer_methods_supported: ['header'],
      },
      200,
      { 'cache-control': 'public, max-age=3600' }
    )
  }
}

/** The MCP SDK's `AuthInfo`: what its server transports pass to tools as `extra.authInfo`. */
export interface McpAuthInfo {
  readonly token: string
  readonly clientId: string
  readonly scopes: string[]
  /** Seconds since the epoch. */
  readonly expiresAt?: number
  readonly extra?: Record<string, unknown>
}

/**
 * The MCP SDK's `AuthInfo` for a verified principal: client id, scopes, expiry in seconds, and
 * who it is (`extra`). The token itself is taken from the request only if you pass it (a transport
 * that needs it), never from the context, which does not hold it.
 *
 * @example
 * ```ts
 * app.post('/mcp', async (c) =>
 *   transport.handleRequest(c.req.raw, { authInfo: toMcpAuthInfo(c.var.auth, c) })
 * )
 * ```
 */
export function toMcpAuthInfo(auth: Principal, request?: Context | Request): McpAuthInfo {
  const headers = request instanceof Request ? request.headers : request?.req.raw.headers
  const token = /^bearer +(\S+)$/i.exec(headers?.get('authorization') ?? '')?.[1] ?? ''
  switch (auth.kind) {
    case 'member':
      return {
        token,
        clientId: '',
        scopes: [],
        expiresAt: Math.floor(auth.sessionExpiresAt.getTime() / 1000),
        extra: {
          kind: auth.kind,
          memberId: auth.memberId,
          organizationId: auth.organizationId,
          organizationSlug: auth.organizationSlug,
        },
      }
    case 'api_key':
      return {
        token,
        clientId: auth.keyId,
        scopes: [...auth.scopes],
        ...(auth.expiresAt ? { expiresAt: Math.floor(auth.expiresAt.getTime() / 1000) } : {}),
        extra: { kind: auth.kind, keyId: auth.keyId, organizationId: auth.organizationId },
      }
    default:
      return {
        token,
        clientId: auth.clientId ?? '',
        scopes: [...auth.scopes],
        expiresAt: Math.floor(auth.expiresAt.getTime() / 1000),
        extra:
          auth.kind === 'oauth'
            ? {
                kind: auth.kind,
                memberId: auth.memberId,
                organizationId: auth.organizationId,
                organizationSlug: auth.organizationSlug,
              }
            : auth.kind === 'user'
              ? { kind: auth.kind, userId: auth.userId, organizationId: auth.organizationId }
              : { kind: auth.kind },
      }
  }
}
