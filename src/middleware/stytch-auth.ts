/**
 * @module
 * `stytchAuth()`: Stytch B2B session authentication for Hono.
 */
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { validateOptions } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AuthEnv, OptionalAuthEnv } from '../context/auth-env.ts'
import { AuthError } from '../errors/auth-error.ts'
import { DEFAULT_EXTRACTION_RULES, type ExtractionRules } from '../token/extract-token.ts'
import { authenticate } from './authenticate.ts'
import { bind } from './binding.ts'
import { lazyBinding } from './lazy-binding.ts'
import { sessionRequirements } from './session-requirements.ts'

/**
 * Verifies the request's Stytch B2B session and puts it on `c.var.auth`, typed. Answers 401 for a
 * missing or invalid token, 503 when Stytch cannot be asked, and 403 when `requiredClaims` or
 * `requiredFactors` are not met. Settings come from the environment (`STYTCH_PROJECT_ID`,
 * `STYTCH_SECRET`, …) unless given as options.
 *
 * Verified sessions are cached (in process by default; Redis or Upstash by configuration), so the
 * second request with a token makes no call to Stytch; a session JWT is verified locally.
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
export function stytchAuth(
  options: StytchAuthOptions & { readonly optional: true }
): MiddlewareHandler<OptionalAuthEnv>
export function stytchAuth(options?: StytchAuthOptions): MiddlewareHandler<AuthEnv>
export function stytchAuth(
  options: StytchAuthOptions = {}
): MiddlewareHandler<AuthEnv> | MiddlewareHandler<OptionalAuthEnv> {
  validateOptions(options)
  const rules = extractionRulesOf(options)
  const check = sessionRequirements(options)
  const optional = options.optional === true
  const bindingFor = lazyBinding(options)

  return createMiddleware<OptionalAuthEnv>(async function stytchAuth(c, next) {
    const binding = bindingFor(c)
    const bound = binding instanceof Promise ? await binding : binding
    try {
      // Awaited only when pending: a cache hit stays synchronous up to next().
      const found = authenticate(c, bound.runtime, rules, optional)
      const auth = found instanceof Promise ? await found : found
      if (auth && check) check(auth)
      c.set('auth', auth)
      bind(c, bound)
    } catch (error) {
      if (error instanceof AuthError && options.onError) return options.onError(error, c)
      throw error
    }
    await next()
  })
}

function extractionRulesOf(options: StytchAuthOptions): ExtractionRules {
  if (!options.tokenFrom && !options.cookieNames) return DEFAULT_EXTRACTION_RULES
  return {
    tokenFrom: options.tokenFrom ?? DEFAULT_EXTRACTION_RULES.tokenFrom,
    cookieNames: { ...DEFAULT_EXTRACTION_RULES.cookieNames, ...options.cookieNames },
  }
}
