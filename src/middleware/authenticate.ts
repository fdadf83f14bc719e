/**
 * @module
 * What runs on a request, top to bottom: extract the credential, key it by its digest, look it up,
 * verify it on a miss (by its credential kind), enrich it with entitlements, decide the route's
 * requirements, set `c.var.auth`. When every step up to the decision is in memory the request takes
 * the same steps synchronously (a header scan, a hash, a map lookup: the hot path, no promise of its
 * own). Telemetry, when on, observes the same path.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import type { Filled, Loaded } from '../cache/read-through.ts'
import { digestOf, syncDigestOf } from '../cache/digest.ts'
import type { Principal } from '../context/auth-env.ts'
import type { CredentialKind } from '../credential/credential-kind.ts'
import { extractToken, simpleToken } from '../credential/extract-credential.ts'
import { TokenExtractionError, TokenVerificationError } from '../errors/auth-error.ts'
import { tokenForLog } from '../log/logger.ts'
import type { Runtime } from '../runtime/runtime.ts'
import type { Observation } from '../telemetry/observation.ts'
import type { Route } from './route.ts'

/** The runtime a mount authenticates with, and its route: what guards after it use. */
export interface Binding {
  readonly runtime: Runtime
  readonly route: Route
}

/** A mount's binding, built on its first request (the environment arrives with it). */
export interface BindingHolder {
  /** The binding once built. */
  readonly ready: Binding | undefined
  /** The binding, built for the request's environment if it is not yet. */
  get(c: Context): Promise<Binding>
}

/**
 * The middleware of a mount: authenticates each request through its binding, answers errors
 * through its route.
 *
 * @example
 * ```ts
 * app.use('*', authentication(holder, routeOf(parseOptions({}))))
 * ```
 */
export function authentication(holder: BindingHolder, route: Route): MiddlewareHandler {
  // `known`: the principal the hot path found in memory, whose entitlements are still to be read.
  const slowly = async (c: Context, next: Next, known?: Principal) => {
    let binding: Binding
    let observation: Observation | undefined
    let found: Filled<Principal | null>
    try {
      binding = holder.ready ?? (await holder.get(c))
      observation = binding.runtime.telemetry?.authentication()
      const { runtime } = binding
      const run = () =>
        known ? entitled(runtime, { value: known, tier: 'l1' }) : authenticate(c, runtime, route)
      found = await (observation ? observation.within(run) : run())
    } catch (error) {
      observation?.end({ error, tier: 'miss' })
      return route.answer(c, error)
    }
    return admitted(c, next, binding, found, observation)
  }
  return function stytchAuth(c, next) {
    const binding = holder.ready
    const auth = binding && cachedPrincipal(c, binding.runtime, route)
    if (!auth) return slowly(c, next)
    const ready = entitledInMemory(binding.runtime, auth)
    if (!ready) return slowly(c, next, auth)
    return admitted(
      c,
      next,
      binding,
      { value: ready, tier: 'l1' },
      binding.runtime.telemetry?.authentication()
    )
  }
}

/** Decides the route's requirements and, when they are met, sets `c.var.auth` and goes on. */
function admitted(
  c: Context,
  next: Next,
  binding: Binding,
  { value: auth, tier }: Filled<Principal | null>,
  observation: Observation | undefined
): Promise<Response | void> {
  try {
    if (auth) binding.route.decide?.(auth)
  } catch (error) {
    observation?.end({ error, tier })
    return Promise.resolve(binding.route.answer(c, error))
  }
  observation?.end({ auth, tier })
  c.set('auth', auth)
  bind(c, binding)
  const timing = observation?.serverTiming
  return timing === undefined
    ? next()
    : next().then(() => c.res.headers.append('server-timing', timing))
}

/**
 * The principal of the request's credential if it is in process memory: a scan of the
 * `Authorization` or `Cookie` header, a hash, a lookup (the hot path). The headers are the
 * request's own, as the full path reads them (never the socket's: a sub-request or a rewritten
 * request carries others).
 */
function cachedPrincipal(c: Context, runtime: Runtime, route: Route): Principal | undefined {
  if (!syncDigestOf || !runtime.principals.keepsInProcess) return undefined
  const token = simpleToken(c.req.raw.headers, route.rules)
  if (token === undefined) return undefined
  const auth = runtime.principals.peek(syncDigestOf(token))
  return auth && route.accepts(auth.kind) ? auth : undefined
}

/**
 * `auth` with its entitlements if every record they need is in process memory (`teamTtl` caches
 * the team), or `auth` itself when it carries none; else `undefined`.
 */
function entitledInMemory(runtime: Runtime, auth: Principal): Principal | undefined {
  const of = runtime.entitlements && entitledOf(auth)
  if (!of) return auth
  const entitleable = auth as Extract<Principal, { withEntitlements: unknown }>
  return runtime.entitlements?.peekEntitled<typeof entitleable>(entitleable, of)
}

/**
 * Authenticates a request on the full path. Rejects with an `AuthError`; in optional mode a
 * missing, invalid or not accepted credential resolves to `null` instead, while an outage (503)
 * still rejects.
 *
 * @example
 * ```ts
 * const { value: auth, tier } = await authenticate(c, runtime, route)
 * ```
 */
export async function authenticate(
  c: Context,
  runtime: Runtime,
  route: Route
): Promise<Filled<Principal | null>> {
  const anonymous = (error: Error) => {
    if (route.optional) return { value: null, tier: 'miss' as const }
    throw error
  }
  // Extract: a malformed credential never reaches a cache, a store or Stytch.
  const found = extractToken(c.req.raw.headers, route.rules)
  if (!found.ok) return anonymous(new TokenExtractionError(found.message))
  const { token } = found
  const kind = runtime.credentials.find((candidate) => candidate.recognizes(token))
  const malformed = kind?.malformed?.(token)
  if (malformed !== undefined) return anonymous(new TokenExtractionError(malformed))
  // A credential the route cannot accept is refused before it is looked up or verified.
  if (!kind?.yields(token).some((yielded) => route.accepts(yielded)))
    return anonymous(new TokenVerificationError())
  // Key, look up, verify.
  const id = syncDigestOf?.(token) ?? (await digestOf(token))
  let filled: Filled<Principal>
  try {
    filled = await runtime.principals.getOrLoad(
      id,
      () => verified(runtime, kind, token, id),
      kind.fleet
    )
  } catch (error) {
    if (error instanceof TokenVerificationError) return anonymous(error)
    throw error
  }
  if (!route.accepts(filled.value.kind)) return anonymous(new TokenVerificationError())
  return await entitled(runtime, filled)
}

/** The principal found, with its entitlements read through their caches (when it carries any). */
function entitled(
  runtime: Runtime,
  filled: Filled<Principal>
): Filled<Principal> | Promise<Filled<Principal>> {
  const loader = runtime.entitlements
  const of = loader && entitledOf(filled.value)
  if (!of) return filled
  const auth = filled.value as Extract<Principal, { withEntitlements: unknown }>
  return loader.entitled(auth, of).then((value) => ({ value, tier: filled.tier }))
}

/** The organization (and member, for the team) whose entitlements a principal carries, if any. */
function entitledOf(
  auth: Principal
): { organizationId: string; memberId?: string | undefined } | undefined {
  switch (auth.kind) {
    case 'machine':
      return undefined
    case 'api_key':
      return { organizationId: auth.organizationId }
    case 'user':
      return auth.organizationId === null
        ? undefined
        : { organizationId: auth.organizationId, memberId: auth.userId }
    default:
      return auth
  }
}

/** The credential verified by its kind, with how long it may be cached. */
async function verified(
  runtime: Runtime,
  kind: CredentialKind,
  token: string,
  id: string
): Promise<Loaded<Principal>> {
  const { logger, config, sessionTtlMs } = runtime
  const shown = () => tokenForLog(token, id, config.logSensitiveData)
  try {
    const { auth, validUntil } = await kind.verify(token)
    logger.debug('credential verified', { token: shown(), kind: auth.kind })
    const lifetime = validUntil - Date.now()
    // A session or a key is cached for the mount's `ttl`; a token verified from itself until it expires.
    const ttlMs =
      auth.kind === 'member' || auth.kind === 'api_key'
        ? Math.min(sessionTtlMs, lifetime)
        : sessionTtlMs > 0
          ? lifetime
          : 0
    return { value: auth, ttlMs }
  } catch (error) {
    if (error instanceof TokenVerificationError)
      logger.debug('credential rejected', { token: shown(), kind: kind.name })
    throw error
  }
}

const BINDING = Symbol('ayz-auth.binding')

/** Hono's variable store, which accepts any key at run time. */
interface VariableStore {
  set(key: symbol, value: unknown): void
  get(key: symbol): unknown
}

/**
 * Records the binding that authenticated `c`, for the guards after it. Kept under a symbol, so it
 * never appears in `c.var` serializations or clashes with user variables.
 *
 * @example
 * ```ts
 * bind(c, binding)
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
