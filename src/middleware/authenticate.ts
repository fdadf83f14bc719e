import type { Context } from 'hono'
import type { AuthContext } from '../context/auth-context.ts'
import { TokenExtractionError, TokenVerificationError } from '../errors/auth-error.ts'
import type { AuthRuntime } from '../runtime/auth-runtime.ts'
import { extractToken, type ExtractionRules } from '../token/extract-token.ts'

/**
 * Turns a request into its verified session (with entitlements when a source is configured).
 * Rejects with an `AuthError`; in optional mode a missing or invalid token resolves to `null`
 * instead, while an outage (503) still rejects.
 *
 * The first lines are the hot path: an in-process cache hit costs a header read, a synchronous
 * hash and a map lookup.
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
  const { sessions, entitlements } = runtime
  let auth: AuthContext
  try {
    const digest = sessions.keyOf(found.token)
    const key = typeof digest === 'string' ? digest : await digest
    auth = sessions.peek(key) ?? (await sessions.verify(key, found.token, found.kind))
  } catch (error) {
    if (optional && error instanceof TokenVerificationError) return null
    throw error
  }
  return entitlements ? auth.withEntitlements(await entitlements.entitlementsOf(auth)) : auth
}
