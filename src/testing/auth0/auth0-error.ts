/**
 * @module
 * The error bodies of Auth0's Authentication API.
 */

/**
 * An Auth0 Authentication API error: `{ error, error_description }` (plus `error_uri` when given),
 * never cached.
 *
 * @example
 * return auth0Error(401, 'access_denied', 'Unauthorized')
 */
export function auth0Error(
  status: number,
  error: string,
  description: string,
  extra: { readonly errorUri?: string; readonly headers?: Record<string, string> } = {}
): Response {
  const body = {
    error,
    error_description: description,
    ...(extra.errorUri !== undefined && { error_uri: extra.errorUri }),
  }
  return Response.json(body, {
    status,
    headers: { 'cache-control': 'no-store', ...extra.headers },
  })
}
