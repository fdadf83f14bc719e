/**
 * @module
 * `createAuth()`: the library's runtime as one explicit value (its middleware, `revokeSession` and
 * `close`), for apps that hold it rather than find it. `stytchAuth()` is its middleware.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { parseOptions } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AcceptedToken, PrincipalOf } from '../context/auth-env.ts'
import { RuntimeHolder } from '../runtime/runtime-holder.ts'
import { authentication, bindingOf } from './authenticate.ts'
import {
  revokeCredentials,
  throughEveryTier,
  tokensOf,
  type revokeSession,
} from './revoke-session.ts'
import { routeOf } from './route.ts'

/** The `Env` of routes behind a mount accepting `Token`s, optional or not. */
type AuthEnvOf<Token extends AcceptedToken, Optional extends boolean> = {
  Variables: { auth: Optional extends true ? PrincipalOf<Token> | null : PrincipalOf<Token> }
}

/** One configuration of the library, held by the app. */
export interface Auth<E extends { Variables: { auth: unknown } }> {
  /** The middleware: verifies each request's credential and puts its principal on `c.var.auth`. */
  readonly middleware: MiddlewareHandler<E>
  /**
   * Logs out the session of a request (as {@link revokeSession}), or a token, through this
   * configuration's caches and every running mount of the project.
   */
  revokeSession(target: Context | string): Promise<void>
  /** As `invalidateMember(c, memberId)`, outside a request (a job that changed a team). */
  invalidateMember(memberId: string): Promise<void>
  /** As `invalidateOrganization(c, id)`, outside a request (a billing webhook that changed a plan). */
  invalidateOrganization(organizationId: string): Promise<void>
  /** Stops what this configuration started; a request after it starts them again. */
  close(): Promise<void>
}

/**
 * The runtime of `options` as one value: settings are validated here (a wrong option throws at
 * startup), the runtime is built on the first request (when the environment is known, e.g. Workers
 * bindings) and shared by everything of this value. `stytchAuth(options)` is
 * `createAuth(options).middleware`.
 *
 * @example
 * ```ts
 * const auth = createAuth({ cache: redisCache(process.env.REDIS_URL!) })
 * app.use('/api/*', auth.middleware)
 * app.post('/api/logout', async (c) => { await auth.revokeSession(c); return c.body(null, 204) })
 * process.on('SIGTERM', () => void auth.close())
 * ```
 */
export function createAuth<
  const Token extends AcceptedToken = 'session',
  const Optional extends boolean = false,
>(
  options: StytchAuthOptions & {
    readonly acceptTokens?: readonly Token[]
    readonly optional?: Optional
  } = {}
): Auth<AuthEnvOf<Token, Optional>> {
  const parsed = parseOptions(options)
  const route = routeOf(parsed)
  const holder = new RuntimeHolder(parsed, route)
  return {
    middleware: authentication(holder, route) as MiddlewareHandler<AuthEnvOf<Token, Optional>>,
    async revokeSession(target) {
      if (typeof target === 'string')
        return revokeCredentials((await holder.get()).runtime, [target])
      const binding = bindingOf(target) ?? (await holder.get(target))
      await revokeCredentials(
        binding.runtime,
        tokensOf(target.req.raw.headers, binding.route.rules)
      )
    },
    async invalidateMember(memberId) {
      const { runtime } = await holder.get()
      await throughEveryTier(runtime, (revocations) => revocations.forget([memberId], 'member'))
    },
    async invalidateOrganization(organizationId) {
      const { runtime } = await holder.get()
      await throughEveryTier(runtime, (revocations) => revocations.forget([organizationId], 'org'))
    },
    close: () => holder.close(),
  }
}
