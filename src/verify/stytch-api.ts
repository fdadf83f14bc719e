/**
 * @module
 * The four Stytch endpoints the library calls, over `fetch` with an `AbortSignal`, so every call is
 * bounded on every runtime. The `stytch` SDK offers no per-call signal (each request takes the
 * client-wide fetch settings, and its `timeout` option is never read), and its `dispatcher`
 * exists on Node alone; a client passed as `client` is still used, through its public methods,
 * and the caller stops waiting for it at the deadline.
 */
import type { B2BClient } from 'stytch'

/** The Stytch calls the library makes; each rejects with a {@link StytchHttpError} or {@link StytchRequestError}. */
export interface StytchApi {
  /** `POST /v1/b2b/sessions/authenticate` */
  authenticateSession(
    body: { session_token: string } | { session_jwt: string },
    signal: AbortSignal
  ): Promise<unknown>
  /** `POST /v1/b2b/sessions/revoke` */
  revokeSession(
    body: { session_token: string } | { session_jwt: string },
    signal: AbortSignal
  ): Promise<unknown>
  /** `GET /v1/b2b/rbac/policy` */
  projectPolicy(signal: AbortSignal): Promise<unknown>
  /** `GET /v1/b2b/rbac/organizations/{organization_id}` */
  organizationPolicy(organizationId: string, signal: AbortSignal): Promise<unknown>
}

/** Stytch answered with an error: its status and `error_type` (the SDK's `StytchError` shape). */
export class StytchHttpError extends Error {
  override readonly name = 'StytchHttpError'

  constructor(
    readonly status_code: number,
    readonly error_type: string,
    /** Seconds Stytch asked to wait (`Retry-After`), when it said. */
    readonly retryAfterSeconds?: number
  ) {
    super(`Stytch answered ${status_code} ${error_type}`)
  }
}

/** Stytch could not be asked: a network failure, a timeout, an answer that is not JSON. */
export class StytchRequestError extends Error {
  override readonly name = 'StytchRequestError'
}

/**
 * The Stytch API of a project over `fetch`. `baseUrl` has no trailing slash.
 *
 * @example
 * ```ts
 * const api = stytchHttpApi({ projectId, secret, baseUrl: 'https://test.stytch.com' })
 * await api.authenticateSession({ session_token }, AbortSignal.timeout(5_000))
 * ```
 */
export function stytchHttpApi(settings: {
  readonly projectId: string
  readonly secret: string
  readonly baseUrl: string
}): StytchApi {
  const headers = {
    authorization: `Basic ${btoa(`${settings.projectId}:${settings.secret}`)}`,
    'content-type': 'application/json',
  }
  const call = async (method: string, path: string, signal: AbortSignal, body?: object) => {
    let response: Response
    try {
      response = await fetch(`${settings.baseUrl}${path}`, {
        method,
        headers,
        signal,
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    } catch (error) {
      throw new StytchRequestError(error instanceof Error ? error.message : String(error))
    }
    const json = (await response.json().catch(() => undefined)) as
      Record<string, unknown> | undefined
    if (json === undefined || typeof json !== 'object' || json === null)
      throw new StytchRequestError(`Stytch answered ${response.status} without a JSON body`)
    if (response.status < 400) return json
    const type = json['error_type'] ?? json['error']
    const retryAfter = Number(response.headers.get('retry-after'))
    throw new StytchHttpError(
      response.status,
      typeof type === 'string' ? type : 'unknown_error',
      retryAfter > 0 ? retryAfter : undefined
    )
  }
  return {
    authenticateSession: (body, signal) =>
      call('POST', '/v1/b2b/sessions/authenticate', signal, body),
    revokeSession: (body, signal) => call('POST', '/v1/b2b/sessions/revoke', signal, body),
    projectPolicy: (signal) => call('GET', '/v1/b2b/rbac/policy', signal),
    organizationPolicy: (organizationId, signal) =>
      call('GET', `/v1/b2b/rbac/organizations/${encodeURIComponent(organizationId)}`, signal),
  }
}

/**
 * The same calls through a `B2BClient` the user passed (its public methods; it takes no signal, so
 * a call past its deadline is left to finish while the request moves on).
 *
 * @example
 * ```ts
 * const api = sdkApi(new B2BClient({ project_id, secret }))
 * ```
 */
export function sdkApi(client: B2BClient): StytchApi {
  return {
    authenticateSession: (body) => client.sessions.authenticate(body),
    revokeSession: (body) => client.sessions.revoke(body),
    projectPolicy: () => client.rbac.policy(),
    organizationPolicy: (organization_id) =>
      client.rbac.organizations.getOrgPolicy({ organization_id }),
  }
}
