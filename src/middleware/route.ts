/**
 * @module
 * What one `stytchAuth()` mount decides for its routes, read once from its options: where the
 * credential is looked for, which principals are accepted, the requirements every request must
 * meet, optional mode, and how an error is answered.
 */
import type { Context } from 'hono'
import { requirementsOf } from '../authorization/requirements.ts'
import type { ParsedOptions } from '../config/resolve-config.ts'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AcceptedToken, Principal } from '../context/auth-env.ts'
import { DEFAULT_EXTRACTION_RULES, type ExtractionRules } from '../credential/extract-credential.ts'
import { AuthError } from '../errors/auth-error.ts'

/** A mount's decisions. */
export interface Route {
  readonly rules: ExtractionRules
  readonly optional: boolean
  /** Whether the route accepts a principal of this kind. */
  accepts(kind: Principal['kind']): boolean
  /** Throws the 403 of the first unmet `requiredClaims`/`requiredFactors`, when any are set. */
  readonly decide: ((auth: Principal) => void) | undefined
  /**
   * The response to an `AuthError` (through `onError` when given, with RFC 9728's
   * `resource_metadata` in a 401's challenge when configured); any other error is thrown on.
   */
  answer(c: Context, error: unknown): Response | Promise<Response>
}

/** What a route is read from: a mount's parsed options (`acceptTokens` may name any kind). */
export type RouteOptions = Pick<
  ParsedOptions,
  | 'optional'
  | 'requiredClaims'
  | 'requiredFactors'
  | 'tokenFrom'
  | 'cookieNames'
  | 'onError'
  | 'resourceMetadataUrl'
> & { readonly acceptTokens?: readonly AcceptedToken[] | undefined }

/** Which principal kind each accepted token gives. */
const KIND_OF: Record<AcceptedToken, Principal['kind']> = {
  session: 'member',
  m2m: 'machine',
  oauth: 'oauth',
  api_key: 'api_key',
  user: 'user',
}

/**
 * The route of a mount's parsed options.
 *
 * @example
 * ```ts
 * const route = routeOf(parseOptions({ acceptTokens: ['session', 'm2m'] }))
 * route.accepts('machine') // true
 * ```
 */
export function routeOf(options: RouteOptions): Route {
  const kinds = new Set((options.acceptTokens ?? ['session']).map((token) => KIND_OF[token]))
  return {
    rules: extractionRulesOf(options),
    optional: options.optional === true,
    accepts: (kind) => kinds.has(kind),
    decide: requirementsOf(options),
    answer: answering(options),
  }
}

/**
 * How errors are answered with `options`' `onError` and `resourceMetadataUrl`.
 *
 * @example
 * ```ts
 * return answering({ onError })(c, error)
 * ```
 */
export function answering(
  options: Pick<StytchAuthOptions, 'onError' | 'resourceMetadataUrl'>
): Route['answer'] {
  const { onError, resourceMetadataUrl } = options
  return (c, error) => {
    if (!(error instanceof AuthError)) throw error
    const metadata =
      typeof resourceMetadataUrl === 'function' ? resourceMetadataUrl(c) : resourceMetadataUrl
    const challenged =
      metadata && (error.status === 401 || error.body.error === 'insufficient_scope')
        ? error.withChallenge(`resource_metadata="${metadata}"`)
        : error
    if (onError) return onError(challenged, c)
    throw challenged
  }
}

/** Where `options` say a token is found (`tokenFrom`, `cookieNames`), with the defaults. */
function extractionRulesOf(
  options: Pick<StytchAuthOptions, 'tokenFrom' | 'cookieNames'>
): ExtractionRules {
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
