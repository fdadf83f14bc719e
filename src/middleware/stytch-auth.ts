/**
 * @module
 * `stytchAuth()`: the middleware of a configuration (see `createAuth()`), typed by what it accepts.
 */
import type { MiddlewareHandler } from 'hono'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AcceptedToken, AuthEnv, OptionalAuthEnv, PrincipalOf } from '../context/auth-env.ts'
import { createAuth } from './create-auth.ts'

/**
 * Verifies the request's Stytch B2B session and puts it on `c.var.auth`, typed. Answers 401 for a
 * missing or invalid token, 503 when Stytch cannot be asked, 403 when `requiredClaims` or
 * `requiredFactors` are not met, and a JSON 500 naming the variable when the configuration is
 * wrong. Settings come from the environment (`STYTCH_PROJECT_ID`, `STYTCH_SECRET`, …) unless given
 * as options; options of the wrong type throw here, at startup.
 *
 * Verified sessions are cached (in process by default; Redis or Upstash by configuration), so the
 * second request with a token makes no call to Stytch; a session JWT is verified locally. With
 * `acceptTokens`, M2M and Connected Apps access tokens are accepted too, verified locally once and
 * served from process memory until they expire.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { stytchAuth, type AuthEnv } from 'ayz-auth'
 *
 * const app = new Hono<AuthEnv>()
 * app.use('*', stytchAuth())
 * app.get('/me', (c) => c.json(c.var.auth))
 * ```
 */
export function stytchAuth<const Token extends AcceptedToken>(
  options: StytchAuthOptions & {
    readonly acceptTokens: readonly Token[]
    readonly optional: true
  }
): MiddlewareHandler<{ Variables: { auth: PrincipalOf<Token> | null } }>
export function stytchAuth<const Token extends AcceptedToken>(
  options: StytchAuthOptions & { readonly acceptTokens: readonly Token[] }
): MiddlewareHandler<{ Variables: { auth: PrincipalOf<Token> } }>
export function stytchAuth(
  options: StytchAuthOptions & { readonly optional: true }
): MiddlewareHandler<OptionalAuthEnv>
export function stytchAuth(options?: StytchAuthOptions): MiddlewareHandler<AuthEnv>
export function stytchAuth(options: StytchAuthOptions = {}): MiddlewareHandler {
  return createAuth(options).middleware as MiddlewareHandler
}
