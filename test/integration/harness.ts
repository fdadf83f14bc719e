/**
 * Shared pieces of the integration tests: a real Hono app with the routes users write, the real
 * Stytch SDK, and the emulator over a real socket.
 */
import { Hono } from 'hono'
import type { AuthEnv, Logger, OptionalAuthEnv, StytchAuthOptions } from '../../src/index.ts'
import { requireClaims, requireFactors, stytchAuth } from '../../src/index.ts'

/** A logger that keeps every line (message and fields) for inspection. */
export function captureLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`)
  }
  return {
    lines,
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
  }
}

/** Every `c.var.auth` a handler saw, to prove nothing unauthenticated reached one. */
export interface Seen {
  readonly auths: unknown[]
}

/**
 * The example app's shape: public, protected, optional, and claim/factor-guarded routes.
 */
export function appWith(options: StytchAuthOptions, seen: Seen = { auths: [] }): Hono {
  const app = new Hono()
  app.get('/public', (c) => c.text('public'))
  const protectedRoutes = new Hono<AuthEnv>()
  protectedRoutes.use('*', stytchAuth(options))
  protectedRoutes.get('/me', (c) => {
    seen.auths.push(c.var.auth)
    return c.json(c.var.auth)
  })
  protectedRoutes.get('/admin', requireClaims('admin'), (c) =>
    c.json({ admin: c.var.auth.memberId })
  )
  protectedRoutes.get('/mfa', requireFactors('mfa'), (c) =>
    c.json({ mfa: c.var.auth.authenticationFactors })
  )
  app.route('/api', protectedRoutes)
  const optional = new Hono<OptionalAuthEnv>()
  optional.use('*', stytchAuth({ ...options, optional: true }))
  optional.get('/', (c) => c.json({ auth: c.var.auth }))
  app.route('/optional', optional)
  return app
}

/** `Authorization: Bearer` headers for a token. */
export function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } }
}

/** Milliseconds `promise` took to settle, with its value or error. */
export async function timed<T>(promise: T | Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await promise
  return { ms: performance.now() - started, value }
}

/** Whether a string can be sent as a header value (a ByteString): others never leave a real client. */
export function sendable(value: string): boolean {
  try {
    new Headers({ x: value })
    return true
  } catch {
    return false
  }
}
