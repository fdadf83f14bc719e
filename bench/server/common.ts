/**
 * @module
 * What every benchmark app shares, so scenarios differ only by their authentication: an
 * unauthenticated `/health` (readiness and connection warm-up) and the protected `/api/me`.
 */
import type { Context } from 'hono'

/** What a server process serves: any Hono app, whatever its variables. */
export interface BenchApp {
  fetch(request: Request): Response | Promise<Response>
}

/** The protected route every scenario loads, unless it names another of {@link ROUTES}. */
export const PROTECTED_PATH = '/api/me'

/**
 * The routes of an ayz-auth app, all behind the same `stytchAuth()` (one cache, one runtime), so
 * that scenarios comparing what runs after it measure one process: `plain` is the handler alone,
 * `permission` puts `requirePermission('documents', 'read')` before it, `pass-through` puts
 * `(c, next) => next()` there, what Hono charges for any second middleware on a route.
 */
export const ROUTES = {
  plain: PROTECTED_PATH,
  permission: `${PROTECTED_PATH}/permission`,
  'pass-through': `${PROTECTED_PATH}/pass-through`,
} as const

/** One of {@link ROUTES}. */
export type Route = keyof typeof ROUTES

/** The unauthenticated route (readiness, opening connections). */
export const HEALTH_PATH = '/health'

/**
 * The bearer token of a request, as a hand-written middleware reads it; `undefined` when absent.
 *
 * @example
 * ```ts
 * const token = bearerToken(c)
 * ```
 */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ')
    return undefined
  return header.slice(7)
}
