/**
 * @module
 * Hono `Env` types that make `c.var.auth` typed, without touching Hono's global
 * `ContextVariableMap` (see `ayz-auth/global` for that, opt-in).
 */
import type { ApiKeyContext } from './api-key-context.ts'
import type { AuthContext } from './auth-context.ts'
import type { MachineContext, OAuthContext } from './token-contexts.ts'
import type { UserContext } from './user-context.ts'

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
 * Whatever `stytchAuth({ acceptTokens })` or `auth0Auth()` may put on `c.var.auth`: a member's
 * session, a machine (M2M token), a member acting through an app (Connected Apps token), an
 * organization's API key, or an Auth0 user. Narrow it on `kind`.
 *
 * @example
 * ```ts
 * const who = (auth: Principal) =>
 *   auth.kind === 'member' || auth.kind === 'oauth' ? auth.memberId : auth.kind === 'api_key' ? auth.keyId : auth.kind === 'user' ? auth.userId : auth.clientId
 * ```
 */
export type Principal = AuthContext | MachineContext | OAuthContext | ApiKeyContext | UserContext

/**
 * A kind of credential a route accepts: Stytch sessions, M2M tokens (Stytch's, or Auth0's on
 * `auth0Auth()`), Connected Apps tokens, organization API keys, Auth0 users' tokens.
 */
export type AcceptedToken = 'session' | 'm2m' | 'oauth' | 'api_key' | 'user'

/**
 * The context a kind of credential gives.
 *
 * @example
 * ```ts
 * type Machine = PrincipalOf<'m2m'> // MachineContext
 * ```
 */
export type PrincipalOf<Token extends AcceptedToken> =
  | (Token extends 'session' ? AuthContext : never)
  | (Token extends 'm2m' ? MachineContext : never)
  | (Token extends 'oauth' ? OAuthContext : never)
  | (Token extends 'api_key' ? ApiKeyContext : never)
  | (Token extends 'user' ? UserContext : never)

/**
 * The Hono `Env` of routes behind `stytchAuth({ acceptTokens: [...] })`: `c.var.auth` is any
 * {@link Principal}, narrowed on `kind`.
 *
 * @example
 * ```ts
 * const api = new Hono<PrincipalEnv>()
 * api.use('*', stytchAuth({ acceptTokens: ['session', 'm2m', 'oauth'] }))
 * api.get('/whoami', (c) => c.json(c.var.auth.kind === 'machine' ? c.var.auth.clientId : c.var.auth.memberId))
 * ```
 */
export interface PrincipalEnv {
  Variables: { auth: Principal }
}

/**
 * The Hono `Env` of routes behind `auth0Auth()` (it accepts users' and M2M applications' access
 * tokens by default): `c.var.auth` is a user or a machine, narrowed on `kind`.
 *
 * @example
 * ```ts
 * const api = new Hono<Auth0Env>()
 * api.use('*', auth0Auth())
 * api.get('/whoami', (c) => c.json(c.var.auth.kind === 'user' ? c.var.auth.userId : c.var.auth.clientId))
 * ```
 */
export interface Auth0Env {
  Variables: { auth: UserContext | MachineContext }
}

/**
 * A context whose entitlements are loaded (a member's session, a member acting through an app, an
 * API key, an Auth0 user of an organization): what a handler after an entitlement guard sees.
 *
 * @example
 * ```ts
 * const tier: string | null = (auth as EntitledAuthContext).subscriptionTier
 * ```
 */
export type EntitledAuthContext = (AuthContext | OAuthContext | ApiKeyContext | UserContext) & {
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
