import { newRequestId } from './ids.ts'

/**
 * The OAuth 2.0 error codes the emulator's token and introspection endpoints answer with
 * (RFC 6749 §5.2).
 *
 * @example
 * const error: OAuthErrorCode = 'invalid_scope'
 */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type'

const descriptions: Record<OAuthErrorCode, string> = {
  invalid_request: 'The request is missing a required parameter or is malformed.',
  invalid_client: 'Client authentication failed.',
  invalid_scope: 'The requested scope is not allowed for this client.',
  unsupported_grant_type: 'Only the client_credentials grant type is supported.',
}

/**
 * An OAuth 2.0 error response from a public OAuth endpoint: `{status_code, request_id, error,
 * error_description, error_uri}`. The SDK's `StytchError` reads a body with a top-level `error` as
 * this shape (`error` becomes `error_type`, `error_description` `error_message`). Inferred: Stytch
 * does not document its token endpoint's error bodies, so these are RFC 6749's codes and statuses
 * (400, and 401 for `invalid_client`).
 *
 * @example
 * return oauthError('invalid_client') // 401 { error: 'invalid_client', … }
 */
export function oauthError(error: OAuthErrorCode, description = descriptions[error]): Response {
  const status = error === 'invalid_client' ? 401 : 400
  return Response.json(
    {
      status_code: status,
      request_id: newRequestId(),
      error,
      error_description: description,
      error_uri: `https://datatracker.ietf.org/doc/html/rfc6749#section-5.2`,
    },
    {
      status,
      headers: {
        'cache-control': 'no-store',
        ...(status === 401 ? { 'www-authenticate': 'Basic realm="stytch"' } : {}),
      },
    }
  )
}

/**
 * The parameters of an OAuth request body: form-encoded (as the SDK sends them) or JSON (as
 * Stytch's API reference shows them); `undefined` for a body that is neither. Non-string JSON
 * values are dropped.
 *
 * @example
 * const form = await oauthParameters(c.req.raw) // { grant_type: 'client_credentials', … }
 */
export async function oauthParameters(
  request: Request
): Promise<Record<string, string> | undefined> {
  const text = await request.text().catch(() => undefined)
  if (text === undefined) return undefined
  if ((request.headers.get('content-type') ?? '').includes('json')) {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return undefined
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
    return Object.fromEntries(
      Object.entries(body).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string'
      )
    )
  }
  return Object.fromEntries(new URLSearchParams(text))
}

/**
 * Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1, `client_secret_basic`, each part
 * form-encoded), or `undefined` when the header is absent or unreadable.
 *
 * @example
 * basicClientCredentials('Basic bTJtOnNlY3JldA==') // { clientId: 'm2m', clientSecret: 'secret' }
 */
export function basicClientCredentials(
  header: string | undefined
): { clientId: string; clientSecret: string } | undefined {
  const [scheme, encoded] = (header ?? '').split(' ')
  if (scheme?.toLowerCase() !== 'basic' || !encoded) return undefined
  try {
    const decoded = atob(encoded)
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const part = (text: string) => decodeURIComponent(text.replaceAll('+', ' '))
    return { clientId: part(decoded.slice(0, colon)), clientSecret: part(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

/**
 * The authorization-server metadata the emulator serves at both `/.well-known/oauth-authorization-server`
 * (RFC 8414) and `/.well-known/openid-configuration` (OpenID Connect Discovery): one document holding
 * what the MCP TypeScript SDK's `discoverAuthorizationServerMetadata` requires of either (issuer,
 * authorization and token endpoints, `response_types_supported`, `code_challenge_methods_supported`
 * with `S256`, `jwks_uri`, subject types, ID token algorithms). `issuer` is the URL the document was
 * fetched from. The endpoints mirror Stytch's where the emulator serves them; the authorization
 * endpoint is named but not served (no authorization-code flow), and there is no registration
 * endpoint (no dynamic client registration).
 *
 * @example
 * authorizationServerMetadata('http://127.0.0.1:4010', projectId, ['read:documents'])
 */
export function authorizationServerMetadata(
  origin: string,
  projectId: string,
  policyScopes: readonly string[]
): Record<string, unknown> {
  const oauth2 = `${origin}/v1/public/${projectId}/oauth2`
  return {
    issuer: origin,
    authorization_endpoint: `${oauth2}/authorize`,
    token_endpoint: `${oauth2}/token`,
    introspection_endpoint: `${oauth2}/introspect`,
    jwks_uri: `${origin}/v1/b2b/sessions/jwks/${projectId}`,
    scopes_supported: [
      ...new Set(['openid', 'profile', 'email', 'phone', 'offline_access', ...policyScopes]),
    ],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  }
}
