import type { Context } from 'hono'
import { digestOf } from '../cache/digest.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import {
  extractAllTokens,
  tokenKindOf,
  type ExtractedToken,
} from '../credential/extract-credential.ts'
import { MISSING_TOKEN_MESSAGE, TokenExtractionError } from '../errors/auth-error.ts'
import { authRuntime } from '../runtime/auth-runtime.ts'
import { bindingOf } from './stytch-auth.ts'

/**
 * Logs a session out everywhere: revokes it at Stytch, then purges it from every cache tier, so
 * every instance sharing the Redis/Upstash tier rejects it at once (instances that already hold it
 * in their in-process tier reject it within `l1Ttl`, 10 s by default). Given a request, it revokes
 * the token the request carries and purges its session token and JWT cookies alike. Rejects with
 * `StytchApiError` (503) when Stytch cannot be reached: nothing is purged then, so nobody believes
 * a logout that did not happen.
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
  const runtime = (context && bindingOf(context)?.runtime) ?? (await authRuntime(options, context))
  const tokens: ExtractedToken[] = context
    ? extractAllTokens(context.req.raw.headers)
    : [{ ok: true, token: target as string, kind: tokenKindOf(target as string) }]
  const [first] = tokens
  if (!first) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  await runtime.verifier.revoke(first.token, first.kind)
  const ids = await Promise.all(tokens.map(({ token }) => digestOf(token)))
  const known = ids.map((id) => runtime.sessions.peek(id)).find((auth) => auth?.kind === 'member')
  await Promise.all(ids.map((id) => runtime.sessions.delete(id, true)))
  runtime.telemetry?.revoked(
    known?.kind === 'member' ? known.sessionId : null,
    known?.kind === 'member' ? known.memberId : null
  )
}
