/**
 * @module
 * Opt-in global typing: importing `ayz-auth/global` once makes `c.var.auth` (and
 * `c.get('auth')`) an {@link AuthContext} in every Hono context of the program, without
 * `Hono<AuthEnv>`. It augments Hono's `ContextVariableMap`, so it also types routes that no
 * `stytchAuth()` protects, and on routes behind `stytchAuth({ optional: true })` it still says
 * `AuthContext` where the value may be `null` (it wins over `OptionalAuthEnv`): prefer `AuthEnv`
 * and `OptionalAuthEnv` where you can. Not published to JSR, which rejects global augmentation.
 *
 * @example
 * ```ts
 * import 'ayz-auth/global'
 * import { Hono } from 'hono'
 * import { stytchAuth } from 'ayz-auth'
 *
 * const app = new Hono()
 * app.use('*', stytchAuth())
 * app.get('/me', (c) => c.text(c.var.auth.memberId))
 * ```
 */
import type { AuthContext } from './context/auth-context.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified session that `stytchAuth()` (or a guard) set. */
    auth: AuthContext
  }
}
