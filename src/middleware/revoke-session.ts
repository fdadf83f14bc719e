/**
 * @module
 * Logging out: the credential a request is authenticated with is ended at its source (Stytch), and
 * every credential the request carries is refused in every tier, on every instance, until it
 * would expire by itself.
 */
import type { Context } from 'hono'
import { digestOf } from '../cache/digest.ts'
import type { Revocations, Revoked } from '../cache/revocations.ts'
import { parseOptions } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import {
  extractAllTokens,
  extractToken,
  type ExtractionRules,
} from '../credential/extract-credential.ts'
import { TokenExtractionError } from '../errors/auth-error.ts'
import { defaultHolder, RuntimeHolder } from '../runtime/runtime-holder.ts'
import type { Runtime } from '../runtime/runtime.ts'
import { bindingOf } from './authenticate.ts'
import { routeOf } from './route.ts'

/**
 * Logs a session out everywhere. Given a request, it ends the session the request is
 * authenticated with at Stytch (found as its `stytchAuth()` finds it: `tokenFrom`, `cookieNames`)
 * and refuses every credential the request carries there, session token and JWT cookies alike:
 * every instance sharing the Redis/Upstash tier refuses them at once, instances that hold them in
 * process drop them through Redis pub/sub at once (without a push channel, within `l1Ttl`), and a
 * JWT, which would still verify locally, is refused until its `exp`. An M2M or Connected Apps
 * token, which Stytch cannot revoke, is refused until its `exp`; so is an Auth0 access token on a
 * route behind `auth0Auth()` (Auth0 cannot revoke one either). A token that is no credential of
 * the project (badly shaped, badly signed) is never sent to Stytch. Calls to Stytch count against
 * `maxVerificationsPerSecond`. Rejects with `StytchApiError` (503) when Stytch cannot be reached:
 * nothing is refused then, so nobody believes a logout that did not happen. When the shared cache
 * is down, the revocation is stored there as soon as it answers again.
 *
 * Given a token, it does the same for that token. The settings are the `stytchAuth()`'s that
 * authenticated the request, else `options` (default: the environment); the credentials are
 * refused through every running `stytchAuth()` of the project too.
 *
 * @example
 * ```ts
 * app.post('/logout', async (c) => {
 *   await revokeSession(c)
 *   deleteCookie(c, 'stytch_session')
 *   return c.body(null, 204)
 * })
 * ```
 */
export async function revokeSession(
  target: Context | string,
  options?: StytchAuthOptions
): Promise<void> {
  const context = typeof target === 'string' ? undefined : target
  const holder = options ? revokerOf(options) : defaultHolder()
  const binding = (context && bindingOf(context)) ?? holder.ready ?? (await holder.get(context))
  await revokeCredentials(
    binding.runtime,
    context ? tokensOf(context.req.raw.headers, binding.route.rules) : [target as string]
  )
}

/** The runtimes that revoke with given options, by the options object (a logout route's, reused). */
const revokers = new WeakMap<StytchAuthOptions, RuntimeHolder>()

/** The runtime revoking with `options`: built once per options object, subscribed to nothing. */
function revokerOf(options: StytchAuthOptions): RuntimeHolder {
  let holder = revokers.get(options)
  if (!holder) {
    const parsed = parseOptions(options)
    revokers.set(options, (holder = new RuntimeHolder(parsed, routeOf(parsed), false)))
  }
  return holder
}

/**
 * Ends `first` at its source and refuses it and `others` everywhere for their verified lifetimes.
 *
 * @example
 * ```ts
 * await revokeCredentials(runtime, [sessionToken, sessionJwt])
 * ```
 */
export async function revokeCredentials(
  runtime: Runtime,
  [first, ...others]: readonly [string, ...string[]]
): Promise<void> {
  // Who is logging out, for the event (from the shared tier when `l1Ttl: 0` keeps nothing in process).
  const known = runtime.telemetry && (await runtime.principals.get(await digestOf(first)))
  const revoked: Revoked[] = []
  for (const [index, token] of [first, ...others].entries()) {
    const kind = runtime.credentials.find((candidate) => candidate.recognizes(token))
    if (!kind || kind.malformed?.(token) !== undefined) continue
    const forMs = await kind.revoke(token, index === 0)
    if (forMs !== undefined) revoked.push({ id: await digestOf(token), forMs })
  }
  await throughEveryTier(runtime, (revocations) => revocations.revoke(revoked))
  runtime.telemetry?.revoked(
    known?.kind === 'member' ? known.sessionId : null,
    known?.kind === 'member' ? known.memberId : null
  )
}

/**
 * Applies `change` (a revocation, a purge) through this runtime's revocations, and those of every
 * other shared tier a live mount of the project uses (once per tier).
 *
 * @example
 * ```ts
 * await throughEveryTier(runtime, (revocations) => revocations.revoke([{ id, forMs: 0 }]))
 * ```
 */
export async function throughEveryTier(
  runtime: Runtime,
  change: (revocations: Revocations) => Promise<void>
): Promise<void> {
  const channels = new Map([[runtime.revocations.via, runtime.revocations]])
  for (const revocations of runtime.project.revocations)
    if (!channels.has(revocations.via)) channels.set(revocations.via, revocations)
  await Promise.all([...channels.values()].map(change))
}

/**
 * The token a request is authenticated with, first, then every other one it carries where `rules`
 * look (a 401 `token_extraction` when it carries none).
 *
 * @example
 * ```ts
 * await revokeCredentials(runtime, tokensOf(c.req.raw.headers, route.rules))
 * ```
 */
export function tokensOf(headers: Headers, rules: ExtractionRules): [string, ...string[]] {
  const found = extractToken(headers, rules)
  if (!found.ok) throw new TokenExtractionError(found.message)
  const others = extractAllTokens(headers, rules)
    .map(({ token }) => token)
    .filter((token) => token !== found.token)
  return [found.token, ...others]
}
