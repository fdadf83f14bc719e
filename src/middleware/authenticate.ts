import type { Context } from 'hono'
import type { AuthContext } from '../context/auth-context.ts'
import type { EntitlementLoader } from '../entitlements/entitlement-loader.ts'
import { TokenExtractionError, TokenVerificationError } from '../errors/auth-error.ts'
import type { AuthRuntime } from '../runtime/auth-runtime.ts'
import { extractToken, type ExtractionRules } from '../token/extract-token.ts'

/** Longest `Authorization` value the hot path hashes (longer ones are rejected on the full path). */
const MAX_HEADER_LENGTH = 4096

/**
 * Turns a request into its verified session (with entitlements when a source is configured).
 * Rejects with an `AuthError`; in optional mode a missing or invalid token resolves to `null`
 * instead, while an outage (503) still rejects.
 *
 * A session cached in process is returned synchronously (no promise, no microtask): the hot path
 * costs a header read, a synchronous hash and a map lookup.
 *
 * @example
 * ```ts
 * const found = authenticate(c, runtime, DEFAULT_EXTRACTION_RULES, false)
 * const auth = found instanceof Promise ? await found : found
 * ```
 */
export function authenticate(
  c: Context,
  runtime: AuthRuntime,
  rules: ExtractionRules,
  optional: boolean
): AuthContext | null | Promise<AuthContext | null> {
  const hit = cachedBearerSession(c, runtime, rules)
  if (!hit) return authenticateFully(c, runtime, rules, optional)
  return runtime.entitlements ? withEntitlements(hit, runtime.entitlements) : hit
}

/**
 * The in-process session of the request's `Bearer` token, hashing the header's token as it is.
 * A token in the cache passed full extraction before, so the same string needs no checking again;
 * anything else (another spelling of the scheme, cookies, a miss) takes the full path.
 */
function cachedBearerSession(
  c: Context,
  { sessions }: AuthRuntime,
  rules: ExtractionRules
): AuthContext | undefined {
  if (rules.tokenFrom[0] !== 'header') return undefined
  const header = c.req.raw.headers.get('authorization')
  if (header === null || header.length > MAX_HEADER_LENGTH || !header.startsWith('Bearer '))
    return undefined
  const key = sessions.keyOf(header.slice(7))
  return typeof key === 'string' ? sessions.peek(key) : undefined
}

async function authenticateFully(
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
  return entitlements ? withEntitlements(auth, entitlements) : auth
}

async function withEntitlements(
  auth: AuthContext,
  loader: EntitlementLoader
): Promise<AuthContext> {
  return auth.withEntitlements(await loader.entitlementsOf(auth))
}
