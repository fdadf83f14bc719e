import type { Context } from 'hono'
import { digestOf } from '../cache/digest.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import {
  extractAllTokens,
  extractToken,
  tokenKindOf,
  type ExtractedToken,
  type ExtractionRules,
} from '../credential/extract-credential.ts'
import { TokenExtractionError } from '../errors/auth-error.ts'
import { authRuntime } from '../runtime/auth-runtime.ts'
import { locallyValidForMs } from '../verify/stytch-jwt.ts'
import { bindingOf, extractionRulesOf } from './stytch-auth.ts'

/**
 * Logs a session out everywhere: revokes it at Stytch, then purges it from every cache tier, so
 * every instance sharing the Redis/Upstash tier rejects it at once (instances that already hold it
 * in their in-process tier reject it within `l1Ttl`, 10 s by default), and a session JWT is refused
 * until its `exp` although it would still verify locally. Given a request, it revokes the token the
 * request was authenticated with (found as its `stytchAuth()` finds it: `tokenFrom`,
 * `cookieNames`) and purges every token it carries there, session token and JWT cookies alike.
 * Rejects with `StytchApiError` (503) when Stytch cannot be reached: nothing is purged then, so
 * nobody believes a logout that did not happen. When the shared cache is down, the entry is deleted
 * there as soon as it answers again.
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
  options: StytchAuthOptions = {}
): Promise<void> {
  const context = typeof target === 'string' ? undefined : target
  const binding = context && bindingOf(context)
  const runtime = binding?.runtime ?? (await authRuntime(options, context))
  const tokens: [ExtractedToken, ...ExtractedToken[]] = context
    ? tokensOf(context.req.raw.headers, binding?.rules ?? extractionRulesOf(options))
    : [{ ok: true, token: target as string, kind: tokenKindOf(target as string) }]
  const [first] = tokens
  await runtime.verifier.revoke(first.token, first.kind)
  const purges = await Promise.all(
    tokens.map(async ({ token }) => ({
      id: await digestOf(token),
      rejectForMs: locallyValidForMs(token),
    }))
  )
  const known = purges
    .map(({ id }) => runtime.sessions.peek(id))
    .find((auth) => auth?.kind === 'member')
  await Promise.all(purges.map(({ id, rejectForMs }) => runtime.sessions.delete(id, rejectForMs)))
  runtime.telemetry?.revoked(
    known?.kind === 'member' ? known.sessionId : null,
    known?.kind === 'member' ? known.memberId : null
  )
}

/** The token a request is authenticated with, first, then every other one it carries where `rules` look. */
function tokensOf(headers: Headers, rules: ExtractionRules): [ExtractedToken, ...ExtractedToken[]] {
  const found = extractToken(headers, rules)
  if (!found.ok) throw new TokenExtractionError(found.message)
  const others = extractAllTokens(headers, rules).filter(({ token }) => token !== found.token)
  return [found, ...others]
}
