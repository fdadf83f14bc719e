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

/** The protected route every scenario loads. */
export const PROTECTED_PATH = '/api/me'
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
