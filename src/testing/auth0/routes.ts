/**
 * @module
 * The HTTP routes: discovery, JWKS, /userinfo, /oauth/revoke, and the token endpoint mounted.
 */
import type { Context, Hono } from 'hono'
import { createLocalJWKSet, jwtVerify } from 'jose'
import * as v from 'valibot'
import { oauthParameters } from '../emulator/oauth.ts'
import type { TenantAddress } from './address.ts'
import { auth0Error } from './auth0-error.ts'
import { clientCredentialsToken } from './clients.ts'
import type { Auth0EmulatorParts } from './parts.ts'

/** The claims `/userinfo` reads from the access token it is given. */
const UserinfoClaims = v.looseObject({ sub: v.string(), scope: v.optional(v.string(), '') })

/**
 * Serves the emulated tenant on `app`, as Auth0 does, each endpoint behind its gate (counted, then
 * faulted as injected) and answered by the part that owns it. Every request counts in `total`, and
 * every response carries `x-auth0-emulator: ayz-auth`.
 *
 * @example
 * serveAuth0Api(this, partsOf(this))
 */
export function serveAuth0Api(app: Hono, parts: Auth0EmulatorParts): void {
  const { traffic } = parts
  app.use(traffic.counter(), async (c, next) => {
    await next()
    c.res.headers.set('x-auth0-emulator', 'ayz-auth')
  })
  app.get('/.well-known/openid-configuration', traffic.gate('discovery'), (c) =>
    c.json(discoveryDocument(parts.address))
  )
  app.get('/.well-known/jwks.json', traffic.gate('jwks'), async (c) =>
    c.json({ keys: await parts.keys.jwks() })
  )
  app.post('/oauth/token', traffic.gate('token'), (c) => clientCredentialsToken(c, parts.clients))
  app.get('/userinfo', traffic.gate('userinfo'), (c) => userinfo(c, parts))
  app.post('/oauth/revoke', traffic.gate('revoke'), (c) => revoke(c, parts))
  app.notFound(() => auth0Error(404, 'not_found', 'Not Found'))
}

/** The discovery document: the endpoints served here, plus `/authorize`, named but not served. */
function discoveryDocument(address: TenantAddress): Record<string, unknown> {
  const base = address.baseUrl
  return {
    issuer: address.issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/oauth/token`,
    userinfo_endpoint: `${base}/userinfo`,
    jwks_uri: address.jwksUrl,
    revocation_endpoint: `${base}/oauth/revoke`,
    scopes_supported: ['openid', 'profile', 'offline_access', 'email'],
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    claims_supported: [
      'aud',
      'auth_time',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'iat',
      'iss',
      'name',
      'nickname',
      'picture',
      'sub',
    ],
  }
}

/**
 * The user's profile, for an access token this tenant signed with a published key, still valid,
 * whose `aud` includes `{issuer}userinfo` and whose `scope` has `openid`; the claims are those
 * the scopes release. Otherwise 401 `invalid_token`.
 */
async function userinfo(c: Context, parts: Auth0EmulatorParts): Promise<Response> {
  const refused = auth0Error(401, 'invalid_token', 'The access token is invalid or has expired', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  })
  const [scheme, token] = (c.req.header('authorization') ?? '').split(' ')
  if (scheme?.toLowerCase() !== 'bearer' || !token) return refused
  const keys = createLocalJWKSet({ keys: await parts.keys.jwks() })
  const { issuer } = parts.address
  const verified = await jwtVerify(token, keys, {
    issuer,
    audience: `${issuer}userinfo`,
    algorithms: ['RS256'],
  }).catch(() => undefined)
  const claims = v.safeParse(UserinfoClaims, verified?.payload)
  if (!claims.success) return refused
  const scopes = claims.output.scope.split(' ')
  if (!scopes.includes('openid')) return refused
  return c.json({
    sub: claims.output.sub,
    ...parts.profiles.released(claims.output.sub, scopes),
  })
}

/** RFC 7009 revocation of refresh tokens, of which the emulator issues none: a client-authenticated 200. */
async function revoke(c: Context, parts: Auth0EmulatorParts): Promise<Response> {
  const form = await oauthParameters(c.req.raw)
  if (!form?.token) return auth0Error(400, 'invalid_request', 'Missing required parameter: token')
  const client = parts.clients.authenticate(c, form)
  return client instanceof Response ? client : c.body(null, 200)
}
