import { newRequestId } from './ids.ts'

const messages: Record<string, string> = {
  unauthorized_credentials: 'Unauthorized credentials.',
  session_not_found: 'Session could not be found.',
  too_many_requests: 'Too many requests have been made.',
  internal_server_error:
    'Oops, something seems to have gone wrong, please reach out to support@stytch.com ' +
    'to let us know what went wrong.',
}

const defaultTypes: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized_credentials',
  403: 'unauthorized_action',
  404: 'session_not_found',
  429: 'too_many_requests',
  500: 'internal_server_error',
  502: 'server_unavailable',
  503: 'server_unavailable',
  504: 'server_unavailable',
}

/**
 * The `error_type` Stytch sends with an HTTP status when nothing more specific applies.
 *
 * @example
 * errorTypeFor(429) // 'too_many_requests'
 */
export function errorTypeFor(status: number): string {
  return defaultTypes[status] ?? (status >= 500 ? 'internal_server_error' : 'bad_request')
}

/**
 * A Stytch error response: `{status_code, request_id, error_type, error_message, error_url}`.
 * Never a top-level `error` key, which would make the SDK read the body as an OAuth2 error.
 *
 * @example
 * return stytchError(404, 'session_not_found')
 * return stytchError(429, 'too_many_requests', { headers: { 'retry-after': '2' } })
 */
export function stytchError(
  status: number,
  errorType: string,
  init: { message?: string; headers?: HeadersInit } = {}
): Response {
  const body = {
    status_code: status,
    request_id: newRequestId(),
    error_type: errorType,
    error_message: init.message ?? messages[errorType] ?? humanize(errorType),
    error_url: `https://stytch.com/docs/api-reference/b2b/api/errors/${status}#${errorType}`,
  }
  return Response.json(body, { status, headers: init.headers })
}

function humanize(errorType: string): string {
  const words = errorType.replaceAll('_', ' ')
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`
}
