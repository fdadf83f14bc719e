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
import type {
  AcceptedToken,
  AuthEnv,
  OptionalAuthEnv,
  Principal,
  PrincipalOf,
} from '../context/auth-env.ts'
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
import type { CacheTier, Telemetry } from '../telemetry/telemetry.ts'
import { claimsSession } from '../verify/stytch-jwt.ts'

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
  validateOptions(options)
  const rules = extractionRulesOf(options)
  const check = sessionRequirements(options)
  const optional = options.optional === true
  const accepts = acceptanceOf(options.acceptTokens)
  const bindingFor = lazyBinding(options)

  const proceed = (
    c: Context<{ Variables: { auth: Principal | null } }>,
    next: Next,
    binding: Binding,
    auth: Principal | null
  ) => {
    c.set('auth', auth)
    bind(c, binding)
    return next()
  }
  const authenticated = (c: Context, next: Next, binding: Binding, auth: Principal | null) => {
    if (auth && check) check(auth)
    return proceed(c, next, binding, auth)
  }
  const slowly = async (c: Context, next: Next) => {
    let binding: Binding
    let auth: Principal | null
    try {
      binding = bindingFor.ready ?? (await bindingFor(c))
      if (binding.runtime.telemetry)
        return await observed(c, next, binding, binding.runtime.telemetry)
      auth = await authenticate(c, binding.runtime, rules, optional, accepts)
      if (auth && check) check(auth)
    } catch (error) {
      return answered(c, error, options)
    }
    return proceed(c, next, binding, auth)
  }
  /** The same path, reported: a span, metrics, an event, and `Server-Timing` when enabled. */
  const observed = async (c: Context, next: Next, binding: Binding, telemetry: Telemetry) => {
    const observation = telemetry.authentication()
    let tier: CacheTier = 'l1'
    let auth: Principal | null
    try {
      auth = await observation.within(() =>
        authenticate(c, binding.runtime, rules, optional, accepts, (found) => (tier = found))
      )
      if (auth && check) check(auth)
    } catch (error) {
      observation.end({ error })
      throw error
    }
    observation.end({ auth, tier })
    await proceed(c, next, binding, auth)
    if (observation.serverTiming) c.res.headers.append('server-timing', observation.serverTiming)
  }

  return function stytchAuth(c, next) {
    const binding = bindingFor.ready
    if (binding?.runtime.telemetry) return slowly(c, next)
    const hit = binding && cachedPrincipal(c, binding.runtime, rules)
    if (!hit || !accepts(hit) || (binding.runtime.entitlements && hit.kind !== 'machine'))
      return slowly(c, next)
    try {
      return authenticated(c, next, binding, hit)
    } catch (error) {
      return Promise.resolve(answered(c, error, options))
    }
  }
}

/**
 * How an `AuthError` is answered: through `onError` when given, with RFC 9728's
 * `resource_metadata` in the challenge of a 401 (or 403 `insufficient_scope`) when configured.
 * Any other error is thrown on, to `app.onError`.
 *
 * @example
 * ```ts
 * return answered(c, error, options)
 * ```
 */
export function answered(
  c: Context,
  error: unknown,
  options: Pick<StytchAuthOptions, 'onError' | 'resourceMetadataUrl'>
): Response | Promise<Response> {
  if (!(error instanceof AuthError)) throw error
  const { onError, resourceMetadataUrl } = options
  const metadata =
    typeof resourceMetadataUrl === 'function' ? resourceMetadataUrl(c) : resourceMetadataUrl
  const challenged =
    metadata && (error.status === 401 || error.body.error === 'insufficient_scope')
      ? error.withChallenge(`resource_metadata="${metadata}"`)
      : error
  if (onError) return onError(challenged, c)
  throw challenged
}

/** Which principals a route accepts, from `acceptTokens` (default: members' sessions). */
function acceptanceOf(
  tokens: readonly AcceptedToken[] = ['session']
): (auth: Principal) => boolean {
  const kinds = new Set<string>(tokens.map((token) => KIND_OF[token]))
  return kinds.size === 1 && kinds.has('member')
    ? (auth) => auth.kind === 'member'
    : (auth) => kinds.has(auth.kind)
}

const KIND_OF = { session: 'member', m2m: 'machine', oauth: 'oauth' } as const

/**
 * The principal of the request's credential if it is cached in process, found synchronously: a
 * scan of the `Authorization` or `Cookie` header, a hash, a lookup (the hot path). The headers are
 * the request's own, as the full path reads them (never the socket's: a sub-request or a rewritten
 * request carries others).
 */
function cachedPrincipal(
  c: Context,
  runtime: AuthRuntime,
  rules: ExtractionRules
): Principal | undefined {
  if (!syncDigestOf) return undefined
  const token = simpleToken(c.req.raw.headers, rules)
  return token === undefined ? undefined : runtime.sessions.peek(syncDigestOf(token))
}

/**
 * Authenticates a request on the full path: extraction with every check, then the cache, then the
 * verifier, then entitlements. Rejects with an `AuthError`; in optional mode a missing, invalid or
 * not accepted token resolves to `null` instead, while an outage (503) still rejects.
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
  optional: boolean,
  accepts: (auth: Principal) => boolean = acceptanceOf(),
  onTier?: (tier: CacheTier) => void
): Promise<Principal | null> {
  const found = extractToken(c.req.raw.headers, rules)
  if (!found.ok) {
    if (optional) return null
    throw new TokenExtractionError(found.message)
  }
  const { sessions, verifier, sessionTtlMs, logger, config, entitlements } = runtime
  let auth: Principal
  try {
    // Where sessions are not accepted, a session (opaque, or a JWT saying so) is refused here:
    // never sent to Stytch, and never remembered as rejected for the routes that accept it.
    if (!accepts(SESSION_PROBE) && (found.kind === 'session_token' || claimsSession(found.token)))
      throw new TokenVerificationError()
    const id = await digestOf(found.token)
    auth = await sessions.getOrLoad(
      id,
      async () => {
        const ref = () => tokenForLog(found.token, id, config.logSensitiveData)
        try {
          const { auth: verified, validUntil } = await verifier.verify(found.token, found.kind)
          logger.debug('credential verified', { token: ref(), kind: verified.kind })
          const lifetime = validUntil - Date.now()
          return verified.kind === 'member'
            ? { value: verified, ttlMs: Math.min(sessionTtlMs, lifetime) }
            : { value: verified, ttlMs: sessionTtlMs > 0 ? lifetime : 0, localOnly: true }
        } catch (error) {
          if (error instanceof TokenVerificationError)
            logger.debug('credential rejected', { token: ref(), kind: found.kind })
          throw error
        }
      },
      // Only an opaque token asks Stytch: one request of the fleet does, the others wait for it.
      { ...(onTier ? { onTier } : {}), fleet: found.kind === 'session_token' }
    )
    if (!accepts(auth)) throw new TokenVerificationError()
  } catch (error) {
    if (optional && error instanceof TokenVerificationError) return null
    throw error
  }
  if (!entitlements || auth.kind === 'machine') return auth
  return auth.withEntitlements(await entitlements.entitlementsOf(auth))
}

/** What any member session looks like to an acceptance check. */
const SESSION_PROBE = { kind: 'member' } as Principal

/**
 * The runtime a `stytchAuth()` instance authenticated a request with, how it answers errors, and
 * where it found the token (for `revokeSession`).
 */
export interface Binding {
  readonly runtime: AuthRuntime
  readonly options: Pick<StytchAuthOptions, 'onError' | 'resourceMetadataUrl'>
  readonly rules: ExtractionRules
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
 * bind(c, { runtime, options })
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
  const rules = extractionRulesOf(options)
  const resolve = (c: Context) =>
    (pending ??= authRuntime(options, c).then(
      (runtime) => (state.ready = { runtime, options, rules }),
      (error: unknown) => {
        pending = undefined
        throw error
      }
    ))
  const state = Object.assign(resolve, { ready: undefined as Binding | undefined })
  return state
}

/**
 * Where `options` say a token is found (`tokenFrom`, `cookieNames`), with the defaults.
 *
 * @example
 * ```ts
 * extractionRulesOf({ cookieNames: { session: 'sid' } }).cookieNames // { session: 'sid', jwt: 'stytch_session_jwt' }
 * ```
 */
export function extractionRulesOf(options: StytchAuthOptions): ExtractionRules {
  if (!options.tokenFrom && !options.cookieNames) return DEFAULT_EXTRACTION_RULES
  const { session, jwt } = DEFAULT_EXTRACTION_RULES.cookieNames
  return {
    tokenFrom: options.tokenFrom ?? DEFAULT_EXTRACTION_RULES.tokenFrom,
    cookieNames: {
      session: options.cookieNames?.session ?? session,
      jwt: options.cookieNames?.jwt ?? jwt,
    },
  }
}

/**
 * The claims of `requirement` a principal does not satisfy (a session's custom claims, or an access
 * token's): a listed name must be present and not `false`, `null` or `undefined`; a record's
 * values must be equal (deep equality for objects).
 *
 * @example
 * ```ts
 * missingClaims(auth, ['admin'])          // [] when auth.sessionCustomClaims.admin is set
 * missingClaims(auth, { role: 'owner' })  // ['role'] unless the role claim is 'owner'
 * ```
 */
export function missingClaims(auth: Principal, requirement: ClaimRequirement): string[] {
  const claims = auth.kind === 'member' ? auth.sessionCustomClaims : auth.customClaims
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
 * The factors a principal lacks: each name is a Stytch factor `type` (`magic_link`, `sso`,
 * `totp`, …), except `mfa`, which means at least two distinct factor types. An access token has
 * none.
 *
 * @example
 * ```ts
 * missingFactors(auth, ['mfa']) // ['mfa'] for a session authenticated by a magic link alone
 * ```
 */
export function missingFactors(auth: Principal, factors: readonly string[]): string[] {
  const held = new Set(auth.kind === 'member' ? auth.authenticationFactors : [])
  return factors.filter((factor) => (factor === 'mfa' ? held.size < 2 : !held.has(factor)))
}

/** A check throwing the 403 of the first unmet `requiredClaims`/`requiredFactors`, if any are set. */
function sessionRequirements(options: StytchAuthOptions): ((auth: Principal) => void) | undefined {
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
