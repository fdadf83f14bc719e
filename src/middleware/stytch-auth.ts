/**
 * @module
 * `stytchAuth()` and what runs on a request, top to bottom: extract the credential, key it by its
 * digest, look it up, verify it on a miss, enrich it with entitlements, check the route's
 * requirements, `c.set('auth')`. A cached session takes a synchronous path (a header scan, a hash, a
 * map lookup) with no promise of its own.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { digestOf, syncDigestOf } from '../cache/digest.ts'
import { validateOptions } from '../config/resolve-config.ts'
import type { ClaimRequirement, StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AuthContext } from '../context/auth-context.ts'
import type { AuthEnv, OptionalAuthEnv } from '../context/auth-env.ts'
import {
  DEFAULT_EXTRACTION_RULES,
  extractToken,
  simpleToken,
  type ExtractionRules,
} from '../credential/extract-credential.ts'
import {
  AuthError,
  MissingClaimsError,
  MissingFactorsError,
  TokenExtractionError,
  TokenVerificationError,
} from '../errors/auth-error.ts'
import { tokenForLog } from '../log/logger.ts'
import { authRuntime, type AuthRuntime } from '../runtime/auth-runtime.ts'

/**
 * Verifies the request's Stytch B2B session and puts it on `c.var.auth`, typed. Answers 401 for a
 * missing or invalid token, 503 when Stytch cannot be asked, 403 when `requiredClaims` or
 * `requiredFactors` are not met, and a JSON 500 naming the variable when the configuration is
 * wrong. Settings come from the environment (`STYTCH_PROJECT_ID`, `STYTCH_SECRET`, …) unless given
 * as options; options of the wrong type throw here, at startup.
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

  const authenticated = (
    c: Context<OptionalAuthEnv>,
    next: Next,
    binding: Binding,
    auth: AuthContext | null
  ) => {
    if (auth && check) check(auth)
    c.set('auth', auth)
    bind(c, binding)
    return next()
  }
  const answered = (c: Context, error: unknown) => {
    if (error instanceof AuthError && options.onError) return options.onError(error, c)
    throw error
  }
  const slowly = async (c: Context<OptionalAuthEnv>, next: Next) => {
    let binding: Binding
    let auth: AuthContext | null
    try {
      binding = bindingFor.ready ?? (await bindingFor(c))
      auth = await authenticate(c, binding.runtime, rules, optional)
    } catch (error) {
      return answered(c, error)
    }
    return authenticated(c, next, binding, auth)
  }

  return function stytchAuth(c, next) {
    const binding = bindingFor.ready
    const hit = binding && !binding.runtime.entitlements && cachedSession(c, binding.runtime, rules)
    if (!hit) return slowly(c, next)
    try {
      return authenticated(c, next, binding, hit)
    } catch (error) {
      return Promise.resolve(answered(c, error))
    }
  } as MiddlewareHandler<OptionalAuthEnv>
}

/**
 * The session of the request's credential if it is cached in process, found synchronously: a
 * scan of the `Authorization` or `Cookie` header, a hash, a lookup (the hot path).
 */
function cachedSession(
  c: Context,
  runtime: AuthRuntime,
  rules: ExtractionRules
): AuthContext | undefined {
  if (!syncDigestOf) return undefined
  const token = simpleToken(c.req.raw.headers, rules)
  return token === undefined ? undefined : runtime.sessions.peek(syncDigestOf(token))
}

/**
 * Authenticates a request on the full path: extraction with every check, then the cache, then the
 * verifier, then entitlements. Rejects with an `AuthError`; in optional mode a missing or invalid
 * token resolves to `null` instead, while an outage (503) still rejects.
 *
 * @example
 * ```ts
 * const auth = await authenticate(c, runtime, DEFAULT_EXTRACTION_RULES, false)
 * ```
 */
export async function authenticate(
  c: Context,
  runtime: AuthRuntime,
  rules: ExtractionRules,
  optional: boolean
): Promise<AuthContext | null> {
  const found = extractToken(c.req.raw.headers, rules)
  if (!found.ok) {
    if (optional) return null
    throw new TokenExtractionError(found.message)
  }
  const { sessions, verifier, sessionTtlMs, logger, config, entitlements } = runtime
  const id = await digestOf(found.token)
  let auth: AuthContext
  try {
    auth = await sessions.getOrLoad(id, async () => {
      const ref = () => tokenForLog(found.token, id, config.logSensitiveData)
      try {
        const verified = await verifier.verify(found.token, found.kind)
        logger.debug('session verified', {
          token: ref(),
          kind: found.kind,
          memberId: verified.auth.memberId,
        })
        return {
          value: verified.auth,
          ttlMs: Math.min(sessionTtlMs, verified.validUntil - Date.now()),
        }
      } catch (error) {
        if (error instanceof TokenVerificationError)
          logger.debug('session rejected', { token: ref(), kind: found.kind })
        throw error
      }
    })
  } catch (error) {
    if (optional && error instanceof TokenVerificationError) return null
    throw error
  }
  return entitlements ? auth.withEntitlements(await entitlements.entitlementsOf(auth)) : auth
}

/** The runtime a `stytchAuth()` instance authenticated a request with, and how it answers errors. */
export interface Binding {
  readonly runtime: AuthRuntime
  readonly onError: StytchAuthOptions['onError']
}

const BINDING = Symbol('ayz-auth.binding')

/** Hono's variable store, which accepts any key at run time. */
interface VariableStore {
  set(key: symbol, value: unknown): void
  get(key: symbol): unknown
}

/**
 * Records the binding of the middleware that authenticated `c`, for the guards after it. Kept
 * under a symbol, so it never appears in `c.var` serializations or clashes with user variables.
 *
 * @example
 * ```ts
 * bind(c, { runtime, onError: options.onError })
 * ```
 */
export function bind(c: Context, binding: Binding): void {
  ;(c as unknown as VariableStore).set(BINDING, binding)
}

/**
 * The binding recorded on `c`, if a `stytchAuth()` (or a guard) authenticated it.
 *
 * @example
 * ```ts
 * const runtime = bindingOf(c)?.runtime
 * ```
 */
export function bindingOf(c: Context): Binding | undefined {
  return (c as unknown as VariableStore).get(BINDING) as Binding | undefined
}

/**
 * The binding of one middleware instance, resolved on its first request (when the environment is
 * known, e.g. Workers bindings) and then reused as `ready`: configuration is read and validated
 * once per instance and isolate, and a failure (a configuration error) is retried on the next
 * request.
 *
 * @example
 * ```ts
 * const bindingFor = lazyBinding(options)
 * const binding = bindingFor.ready ?? (await bindingFor(c))
 * ```
 */
export function lazyBinding(
  options: StytchAuthOptions
): ((c: Context) => Promise<Binding>) & { readonly ready: Binding | undefined } {
  let pending: Promise<Binding> | undefined
  const resolve = (c: Context) =>
    (pending ??= authRuntime(options, c).then(
      (runtime) => (state.ready = { runtime, onError: options.onError }),
      (error: unknown) => {
        pending = undefined
        throw error
      }
    ))
  const state = Object.assign(resolve, { ready: undefined as Binding | undefined })
  return state
}

function extractionRulesOf(options: StytchAuthOptions): ExtractionRules {
  if (!options.tokenFrom && !options.cookieNames) return DEFAULT_EXTRACTION_RULES
  return {
    tokenFrom: options.tokenFrom ?? DEFAULT_EXTRACTION_RULES.tokenFrom,
    cookieNames: { ...DEFAULT_EXTRACTION_RULES.cookieNames, ...options.cookieNames },
  }
}

/**
 * The claims of `requirement` the session does not satisfy: a listed name must be present and not
 * `false`, `null` or `undefined`; a record's values must be equal (deep equality for objects).
 *
 * @example
 * ```ts
 * missingClaims(auth, ['admin'])          // [] when auth.sessionCustomClaims.admin is set
 * missingClaims(auth, { role: 'owner' })  // ['role'] unless the role claim is 'owner'
 * ```
 */
export function missingClaims(auth: AuthContext, requirement: ClaimRequirement): string[] {
  const claims = auth.sessionCustomClaims
  if (Array.isArray(requirement)) {
    return (requirement as readonly string[]).filter((name) => {
      const value = claims[name]
      return value === undefined || value === null || value === false
    })
  }
  return Object.entries(requirement)
    .filter(([name, expected]) => !deepEqual(claims[name], expected))
    .map(([name]) => name)
}

/**
 * The factors the session lacks: each name is a Stytch factor `type` (`magic_link`, `sso`, `totp`,
 * …), except `mfa`, which means at least two distinct factor types.
 *
 * @example
 * ```ts
 * missingFactors(auth, ['mfa']) // ['mfa'] for a session authenticated by a magic link alone
 * ```
 */
export function missingFactors(auth: AuthContext, factors: readonly string[]): string[] {
  const held = new Set(auth.authenticationFactors)
  return factors.filter((factor) => (factor === 'mfa' ? held.size < 2 : !held.has(factor)))
}

/** A check throwing the 403 of the first unmet `requiredClaims`/`requiredFactors`, if any are set. */
function sessionRequirements(
  options: StytchAuthOptions
): ((auth: AuthContext) => void) | undefined {
  const { requiredClaims: claims, requiredFactors: factors } = options
  if (!claims && !factors?.length) return undefined
  return (auth) => {
    const lackingClaims = claims ? missingClaims(auth, claims) : []
    if (lackingClaims.length > 0) throw new MissingClaimsError(lackingClaims)
    const lackingFactors = factors ? missingFactors(auth, factors) : []
    if (lackingFactors.length > 0) throw new MissingFactorsError(lackingFactors)
  }
}

function deepEqual(actual: unknown, expected: unknown): boolean {
  if (Object.is(actual, expected)) return true
  if (!isObject(actual) || !isObject(expected) || Array.isArray(actual) !== Array.isArray(expected))
    return false
  const keys = Object.keys(expected)
  return (
    keys.length === Object.keys(actual).length &&
    keys.every((key) => deepEqual(actual[key], expected[key]))
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
