/**
 * @module
 * The errors `stytchAuth()` and its guards throw. Each one is a Hono `HTTPException` that carries
 * its status and the JSON body of the original Python package, so `app.onError` can return it as
 * is (`err.getResponse()`) or reshape it from `err.body`.
 */
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The JSON body of an {@link AuthError}: snake_case keys, as on the wire. */
export interface AuthErrorBody {
  /** Machine-readable error family, e.g. `authentication_failed`. */
  readonly error: string
  /** Human-readable explanation. Never contains a token. */
  readonly message: string
  /** Sub-type, e.g. `token_extraction`, when the family has several. */
  readonly type?: string
  readonly [field: string]: unknown
}

/** How long clients are told to wait on a 503 when upstream gave no hint. */
const DEFAULT_RETRY_AFTER_SECONDS = 5

/**
 * Base class of every error the library answers a request with.
 *
 * @example
 * ```ts
 * app.onError((err, c) => {
 *   if (err instanceof AuthError) return c.json({ ...err.body, path: c.req.path }, err.status)
 *   return c.text('Internal Server Error', 500)
 * })
 * ```
 */
export class AuthError extends HTTPException {
  /** The JSON body sent to the client. */
  readonly body: AuthErrorBody
  /** Headers sent with the body (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: ContentfulStatusCode,
    body: AuthErrorBody,
    options: { headers?: Record<string, string>; cause?: unknown } = {}
  ) {
    const headers = { 'content-type': 'application/json', ...options.headers }
    super(status, { message: body.message, cause: options.cause })
    this.name = new.target.name
    this.body = body
    this.headers = headers
  }

  /**
   * This error with `params` added to its `WWW-Authenticate` challenge, e.g. RFC 9728's
   * `resource_metadata="…"` (a copy: one error can answer many requests).
   *
   * @example
   * ```ts
   * error.withChallenge('resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"')
   * ```
   */
  withChallenge(params: string): this {
    const challenge = this.headers['www-authenticate']
    if (challenge === undefined) return this
    const copy = Object.create(
      Object.getPrototypeOf(this) as object,
      Object.getOwnPropertyDescriptors(this)
    ) as this
    const extended = challenge === 'Bearer' ? `Bearer ${params}` : `${challenge}, ${params}`
    Object.defineProperty(copy, 'headers', {
      value: { ...this.headers, 'www-authenticate': extended },
    })
    return copy
  }

  /**
   * A new response on every call. One error can answer many requests (concurrent requests with one
   * token share one verification, and its failure), and a response body can be read only once.
   */
  override getResponse(): Response {
    return new Response(JSON.stringify(this.body), { status: this.status, headers: this.headers })
  }
}

/**
 * 401: the request carries no usable token (missing, empty, oversize, control characters, several
 * `Authorization` headers, wrong scheme).
 *
 * @example
 * ```ts
 * throw new TokenExtractionError('Authorization header must be in format: Bearer <token>')
 * ```
 */
export class TokenExtractionError extends AuthError {
  constructor(message: string) {
    const challenge =
      message === MISSING_TOKEN_MESSAGE ? 'Bearer' : 'Bearer error="invalid_request"'
    super(
      401,
      { error: 'authentication_failed', message, type: 'token_extraction' },
      { headers: { 'www-authenticate': challenge } }
    )
  }
}

/** The message of a {@link TokenExtractionError} for a request that carries no token at all. */
export const MISSING_TOKEN_MESSAGE = 'Authorization header is required'

/**
 * 401: Stytch (or local JWT verification) says the token is invalid, expired or revoked.
 *
 * @example
 * ```ts
 * throw new TokenVerificationError()
 * ```
 */
export class TokenVerificationError extends AuthError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      401,
      {
        error: 'authentication_failed',
        message: 'Invalid or expired session token',
        type: 'token_verification',
      },
      { headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, cause: options.cause }
    )
  }
}

/**
 * 503: Stytch could not be asked (down, hung past the timeout, 429, 5xx, misconfigured
 * credentials). Never a 401: an outage must not log users out.
 *
 * @example
 * ```ts
 * throw new StytchApiError({ retryAfterSeconds: 10 })
 * ```
 */
export class StytchApiError extends AuthError {
  constructor(options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(
      503,
      {
        error: 'service_unavailable',
        message: 'Authentication service temporarily unavailable',
        type: 'stytch_api',
      },
      { headers: retryAfter(options.retryAfterSeconds), cause: options.cause }
    )
  }
}

/**
 * 503: the Auth0 tenant's signing keys (its JWKS) could not be fetched and none is cached, so no
 * token can be verified. Never a 401: an outage must not log users out. `Retry-After` is the key
 * set's cooldown: it is fetched again after at most 5 s.
 *
 * @example
 * ```ts
 * throw new Auth0ApiError()
 * ```
 */
export class Auth0ApiError extends AuthError {
  constructor(options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(
      503,
      {
        error: 'service_unavailable',
        message: 'Authentication service temporarily unavailable',
        type: 'auth0_api',
      },
      { headers: retryAfter(options.retryAfterSeconds), cause: options.cause }
    )
  }
}

/**
 * 500: the library is misconfigured (a missing or invalid environment variable, a backend whose
 * client library is not installed). The message names the variable or package that fixes it and
 * never a secret value. Options of the wrong type in code throw it at `stytchAuth()` time; settings
 * from the environment answer every request with this JSON 500 (and one ERROR log), never a stack
 * trace per request: on Workers the environment arrives with the first request.
 *
 * @example
 * ```ts
 * throw new ConfigurationError('STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()')
 * ```
 */
export class ConfigurationError extends AuthError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(500, { error: 'configuration_error', message }, options)
  }
}

/**
 * 403: the session lacks custom claims a route requires.
 *
 * @example
 * ```ts
 * throw new MissingClaimsError(['admin'])   // "Missing required claims: ['admin']"
 * ```
 */
export class MissingClaimsError extends AuthError {
  /** The claims that were required and not satisfied. */
  readonly missing: readonly string[]

  constructor(missing: readonly string[]) {
    super(403, {
      error: 'insufficient_permissions',
      message: `Missing required claims: ${pythonList(missing)}`,
      type: 'authorization',
    })
    this.missing = missing
  }
}

/**
 * 403: the member's roles (or the token's scopes) do not grant the permission a route requires.
 *
 * @example
 * ```ts
 * throw new MissingPermissionError('documents', 'delete') // required_permission: { resource_id: 'documents', action: 'delete' }
 * ```
 */
export class MissingPermissionError extends AuthError {
  constructor(resourceId: string, action: string) {
    super(403, {
      error: 'insufficient_permissions',
      message: `Missing permission: '${action}' on '${resourceId}'`,
      type: 'authorization',
      required_permission: { resource_id: resourceId, action },
    })
  }
}

/**
 * 403: the access token lacks scopes a route requires (RFC 6750 `insufficient_scope`, with the
 * required scopes in the challenge, so an OAuth client can ask for them).
 *
 * @example
 * ```ts
 * throw new InsufficientScopeError(['read:reports']) // WWW-Authenticate: Bearer error="insufficient_scope", scope="read:reports"
 * ```
 */
export class InsufficientScopeError extends AuthError {
  constructor(requiredScopes: readonly string[]) {
    super(
      403,
      {
        error: 'insufficient_scope',
        message: `Missing required scopes: ${pythonList(requiredScopes)}`,
        type: 'authorization',
        required_scopes: requiredScopes,
      },
      {
        headers: {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${requiredScopes.join(' ')}"`,
        },
      }
    )
  }
}

/**
 * 403: the request names an organization (by id or slug) that is not the session's.
 *
 * @example
 * ```ts
 * throw new TenancyMismatchError()
 * ```
 */
export class TenancyMismatchError extends AuthError {
  constructor() {
    super(403, {
      error: 'tenancy_mismatch',
      message: "This organization is not the session's organization",
      type: 'authorization',
    })
  }
}

/**
 * 403: the session lacks authentication factors a route requires.
 *
 * @example
 * ```ts
 * throw new MissingFactorsError(['mfa'])   // "Missing required authentication factors: ['mfa']"
 * ```
 */
export class MissingFactorsError extends AuthError {
  /** The factors that were required and not present. */
  readonly missing: readonly string[]

  constructor(missing: readonly string[]) {
    super(403, {
      error: 'insufficient_authentication',
      message: `Missing required authentication factors: ${pythonList(missing)}`,
      type: 'authorization',
    })
    this.missing = missing
  }
}

/**
 * 403: the organization's subscription lacks an entitlement a route requires. The body says which
 * ones, the current tier, and `upgrade_required: true`.
 *
 * @example
 * ```ts
 * throw new MissingEntitlementError({
 *   error: 'forbidden',
 *   message: "This feature requires the 'foresight' entitlement",
 *   required_entitlement: 'foresight',
 *   current_tier: 'standard',
 *   upgrade_required: true,
 * })
 * ```
 */
export class MissingEntitlementError extends AuthError {
  constructor(body: AuthErrorBody & { readonly upgrade_required: true }) {
    super(403, body)
  }
}

/**
 * 403: an entitlement guard ran but no entitlement source is configured (or the organization has
 * no record in it), so there is nothing to check against.
 *
 * @example
 * ```ts
 * throw new EntitlementsNotConfiguredError()
 * ```
 */
export class EntitlementsNotConfiguredError extends AuthError {
  constructor(message = 'Entitlements feature is not configured') {
    super(403, { error: 'forbidden', message })
  }
}

/**
 * 503: an entitlement source is configured but unreachable and nothing is cached. Never a 403
 * upgrade prompt: a paying customer must not be told to upgrade because a database is down.
 *
 * @example
 * ```ts
 * throw new EntitlementsUnavailableError()
 * ```
 */
export class EntitlementsUnavailableError extends AuthError {
  constructor(options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(
      503,
      {
        error: 'service_unavailable',
        message: 'Entitlement service temporarily unavailable',
        type: 'entitlements',
      },
      { headers: retryAfter(options.retryAfterSeconds), cause: options.cause }
    )
  }
}

/**
 * 503: the API key store is configured but unreachable, so a key cannot be checked (never a 401:
 * an outage must not look like a revoked key).
 *
 * @example
 * ```ts
 * throw new ApiKeysUnavailableError()
 * ```
 */
export class ApiKeysUnavailableError extends AuthError {
  constructor(options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(
      503,
      {
        error: 'service_unavailable',
        message: 'API key service temporarily unavailable',
        type: 'api_keys',
      },
      { headers: retryAfter(options.retryAfterSeconds), cause: options.cause }
    )
  }
}

/**
 * 404: no API key with this id belongs to the caller's organization (a key of another organization
 * is answered the same, so its existence never leaks).
 *
 * @example
 * ```ts
 * throw new ApiKeyNotFoundError()
 * ```
 */
export class ApiKeyNotFoundError extends AuthError {
  constructor() {
    super(404, { error: 'not_found', message: 'No such API key', type: 'api_key' })
  }
}

/**
 * 400: a request the library was asked to act on is malformed (e.g. `createApiKey` given no name).
 *
 * @example
 * ```ts
 * throw new InvalidRequestError('name: must not be empty')
 * ```
 */
export class InvalidRequestError extends AuthError {
  constructor(message: string) {
    super(400, { error: 'invalid_request', message })
  }
}

function retryAfter(seconds = DEFAULT_RETRY_AFTER_SECONDS): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(seconds))) }
}

/** Formats names as the Python original did (`['a', 'b']`), so messages match it byte for byte. */
function pythonList(names: readonly string[]): string {
  return `[${names.map((name) => `'${name}'`).join(', ')}]`
}
