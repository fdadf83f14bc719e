import type { Context, Env, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthContext } from '../context/auth-context.ts'
import { AuthError, MISSING_TOKEN_MESSAGE, TokenExtractionError } from '../errors/auth-error.ts'
import { DEFAULT_EXTRACTION_RULES } from '../token/extract-token.ts'
import { authenticate } from './authenticate.ts'
import { bind, bindingOf, type Binding } from './binding.ts'
import { lazyBinding } from './lazy-binding.ts'

/**
 * Builds a route guard from a check of the session. The guard uses the session `stytchAuth()`
 * verified; used alone, it authenticates the request itself with the default settings (so a single
 * route can be protected by a guard alone). In optional mode an anonymous request gets a 401.
 * Errors go through the preceding `stytchAuth()`'s `onError`, if it has one.
 *
 * @example
 * ```ts
 * const requireOwner = guard((auth) => {
 *   if (auth.sessionCustomClaims.role !== 'owner') throw new MissingClaimsError(['role'])
 * })
 * ```
 */
export function guard<E extends Env>(check: (auth: AuthContext) => void): MiddlewareHandler<E> {
  const defaults = lazyBinding({})
  return createMiddleware<E>(async function guard(c, next) {
    try {
      check(await sessionOf(c, defaults))
    } catch (error) {
      const onError = bindingOf(c)?.onError
      if (error instanceof AuthError && onError) return onError(error, c)
      throw error
    }
    await next()
  })
}

/** The session `stytchAuth()` put on `c`, or, when none ran, the request authenticated with the defaults. */
async function sessionOf(
  c: Context,
  defaults: (c: Context) => Binding | Promise<Binding>
): Promise<AuthContext> {
  const existing: unknown = c.get('auth')
  if (existing === null) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  if (existing !== undefined) return existing as AuthContext
  const binding = await defaults(c)
  const auth = await authenticate(c, binding.runtime, DEFAULT_EXTRACTION_RULES, false)
  if (!auth) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  c.set('auth', auth)
  bind(c, binding)
  return auth
}
