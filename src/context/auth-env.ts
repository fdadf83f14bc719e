/**
 * @module
 * Hono `Env` types that make `c.var.auth` typed, without touching Hono's global
 * `ContextVariableMap` (see `ayz-auth/global` for that, opt-in).
 */
import type { AuthContext } from './auth-context.ts'

/**
 * The variables `stytchAuth()` sets.
 *
 * @example
 * ```ts
 * type Vars = AuthVariables & { requestId: string }
 * ```
 */
export interface AuthVariables {
  /** The verified session. */
  auth: AuthContext
}

/**
 * The Hono `Env` of an app (or route) behind `stytchAuth()`.
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv>()
 * app.use('*', stytchAuth())
 * app.get('/me', (c) => c.json({ member: c.var.auth.memberId }))
 * ```
 */
export interface AuthEnv {
  Variables: AuthVariables
}

/**
 * The Hono `Env` behind `stytchAuth({ optional: true })`: `c.var.auth` is `null` for anonymous
 * requests.
 *
 * @example
 * ```ts
 * const shop = new Hono<OptionalAuthEnv>()
 * shop.get('/', (c) => c.text(c.var.auth ? `Hello ${c.var.auth.memberName}` : 'Hello'))
 * ```
 */
export interface OptionalAuthEnv {
  Variables: { auth: AuthContext | null }
}

/**
 * An {@link AuthContext} whose entitlements are loaded: what a handler after an entitlement guard
 * sees.
 *
 * @example
 * ```ts
 * const tier: string | null = (auth as EntitledAuthContext).subscriptionTier
 * ```
 */
export type EntitledAuthContext = AuthContext & {
  readonly entitlementsStatus: 'loaded'
  readonly entitlements: readonly string[]
  readonly subscriptionLimits: Readonly<Record<string, number>>
}

/**
 * The Hono `Env` after `requireEntitlement()` and its siblings.
 *
 * @example
 * ```ts
 * app.get('/f', requireEntitlement('foresight'), (c) => c.json(c.var.auth.entitlements)) // string[]
 * ```
 */
export interface EntitledAuthEnv {
  Variables: { auth: EntitledAuthContext }
}
