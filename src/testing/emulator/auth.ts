import type { MiddlewareHandler } from 'hono'
import { stytchError } from './errors.ts'

/**
 * Middleware that lets a request through only with HTTP Basic `project_id:secret`, as the Stytch
 * API does; anything else is a 401 `unauthorized_credentials`.
 *
 * @example
 * app.post('/v1/b2b/sessions/revoke', requireProjectCredentials(projectId, secret), revoke)
 */
export function requireProjectCredentials(projectId: string, secret: string): MiddlewareHandler {
  return async (c, next) => {
    const [scheme, encoded] = (c.req.header('authorization') ?? '').split(' ')
    if (scheme?.toLowerCase() !== 'basic' || decode(encoded) !== `${projectId}:${secret}`) {
      return stytchError(401, 'unauthorized_credentials')
    }
    return next()
  }
}

function decode(base64: string | undefined): string | undefined {
  try {
    return base64 === undefined ? undefined : atob(base64)
  } catch {
    return undefined
  }
}
