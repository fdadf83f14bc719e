/**
 * @module
 * `auth0Auth()`: the library's middleware with Auth0 as the identity provider, typed by what it
 * accepts. The same machinery as `stytchAuth()` (a runtime held by its mount, the request
 * function, caches, revocations, entitlements, telemetry, `onError`), with Auth0 access tokens as
 * its credential kind.
 */
import type { MiddlewareHandler } from 'hono'
import type { Auth0AcceptedToken, Auth0AuthOptions } from '../config/auth0-auth-options.ts'
import { parseAuth0Options } from '../config/resolve-auth0-config.ts'
import type { Auth0Env, PrincipalOf } from '../context/auth-env.ts'
import type { MachineContext } from '../context/token-contexts.ts'
import type { UserContext } from '../context/user-context.ts'
import { auth0Runtime } from '../runtime/auth0-runtime.ts'
import { RuntimeHolder } from '../runtime/runtime-holder.ts'
import { authentication } from './authenticate.ts'
import { routeOf } from './route.ts'

/**
 * Verifies the request's Auth0 access token (`Authorization: Bearer …`) and puts who it speaks for
 * on `c.var.auth`, typed: a user (`kind: 'user'`: `userId`, `organizationId`, `permissions`,
 * `scopes`, …) or an M2M application (`kind: 'machine'`: `clientId`, `permissions`, `scopes`).
 * Settings come from `AUTH0_DOMAIN`, `AUTH0_API_AUDIENCE`, `AUTH0_ALGORITHMS` (default `RS256`)
 * and `AUTH0_BASE_URL` unless given as options; options of the wrong type throw here, at startup,
 * and a missing or invalid variable answers a JSON 500 naming it.
 *
 * A token is verified once against the tenant's JWKS (cached; an unknown `kid` refetched at most
 * every 5 s), then served from process memory until its `exp`; a rejected token is remembered.
 * Answers 401 for a missing or invalid token, 503 `auth0_api` when the JWKS cannot be fetched and
 * no key is cached. With an entitlement source, entitlements and team load by `org_id` and `sub`.
 * `requirePermission`, `requireScopes`, `requireOrganization`, the entitlement guards and
 * `revokeSession(c)` work behind it.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { auth0Auth, requirePermission, type Auth0Env } from 'ayz-auth'
 *
 * const app = new Hono<Auth0Env>()
 * app.use('/api/*', auth0Auth()) // AUTH0_DOMAIN, AUTH0_API_AUDIENCE
 * app.get('/api/documents', requirePermission('documents', 'read'), (c) => c.json([])) // 'read:documents'
 * ```
 */
export function auth0Auth<const Token extends Auth0AcceptedToken>(
  options: Auth0AuthOptions & { readonly acceptTokens: readonly Token[]; readonly optional: true }
): MiddlewareHandler<{ Variables: { auth: PrincipalOf<Token> | null } }>
export function auth0Auth<const Token extends Auth0AcceptedToken>(
  options: Auth0AuthOptions & { readonly acceptTokens: readonly Token[] }
): MiddlewareHandler<{ Variables: { auth: PrincipalOf<Token> } }>
export function auth0Auth(
  options: Auth0AuthOptions & { readonly optional: true }
): MiddlewareHandler<{ Variables: { auth: UserContext | MachineContext | null } }>
export function auth0Auth(options?: Auth0AuthOptions): MiddlewareHandler<Auth0Env>
export function auth0Auth(options: Auth0AuthOptions = {}): MiddlewareHandler {
  const { shared, auth0, acceptTokens } = parseAuth0Options(options)
  // Auth0 tokens travel in the Authorization header; Stytch's cookies are not theirs.
  const route = routeOf({ ...shared, acceptTokens, tokenFrom: ['header'] })
  const holder = new RuntimeHolder(shared, route, true, (vars, serving) =>
    auth0Runtime(shared, auth0, vars, serving)
  )
  return authentication(holder, route)
}
