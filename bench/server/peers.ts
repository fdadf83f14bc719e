/**
 * @module
 * The apps without ayz-auth: the bare app (every ratio's reference), with one empty async
 * middleware or `@hono/otel`'s request span, and two other ways to authenticate: the Stytch SDK
 * per request (naive) and `jose` per request against a cached JWKS. Each serves `GET /health`
 * and the protected `GET /api/me`.
 */
import { httpInstrumentationMiddleware } from '@hono/otel'
import { Hono, type Context } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { B2BClient } from 'stytch'
import type { FixtureInfo, MeBody } from '../spec.ts'
import { installTelemetry } from './telemetry.ts'

/** What a server process serves: any Hono app, whatever its variables. */
export type BenchApp = { fetch(request: Request): Response | Promise<Response> }

/** The protected route every scenario loads unless it names another of {@link ROUTES}. */
export const PROTECTED_PATH = '/api/me'
/** The unauthenticated route (readiness). */
export const HEALTH_PATH = '/health'

/**
 * The routes of an ayz-auth app, all behind one `stytchAuth()`: the handler alone, behind
 * `requirePermission('documents', 'read')`, behind `(c, next) => next()`.
 */
export const ROUTES = {
  plain: '/api/me',
  permission: '/api/me/permission',
  'pass-through': '/api/me/pass',
}

/** One of {@link ROUTES}. */
export type Route = keyof typeof ROUTES

/**
 * The bearer token of a request, as a hand-written middleware reads it; `undefined` when absent.
 */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined
}

/**
 * The app without auth; with `empty`, one empty async middleware before the route (the floor
 * under any middleware); with `otel`, `@hono/otel`'s request span on every request.
 */
export function baselineApp(middleware?: 'empty' | 'otel'): BenchApp {
  const app = new Hono()
  if (middleware === 'otel') {
    installTelemetry()
    app.use('*', httpInstrumentationMiddleware())
  }
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  if (middleware === 'empty') app.use(PROTECTED_PATH, async (_c, next) => await next())
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: 'anonymous' }))
  return app
}

/**
 * What Stytch's examples do: `sessions.authenticate` of the official SDK on every request.
 */
export function naiveApp(fixtures: FixtureInfo): BenchApp {
  const { projectId: project_id, secret, url } = fixtures.stytch
  const warn = console.warn
  console.warn = () => {} // the SDK's notice about a custom `env` (the emulator)
  const client = new B2BClient({ project_id, secret, env: `${url}/` })
  console.warn = warn
  return memberApp(async (token) => {
    const { member_session } = await client.sessions.authenticate({ session_token: token })
    return member_session.member_id
  })
}

/**
 * What `hono/jwk` or `@hono/stytch-auth`'s local mode cost: `jose.jwtVerify` (RS256) on every
 * request against a JWKS fetched once (Stytch's, or the Auth0 tenant's).
 */
export function jwtPerRequestApp(fixtures: FixtureInfo, jwks?: 'auth0'): BenchApp {
  const { url, projectId } = fixtures.stytch
  const { url: tenant, audience } = fixtures.auth0
  const keys = createRemoteJWKSet(
    new URL(jwks ? `${tenant}/.well-known/jwks.json` : `${url}/v1/b2b/sessions/jwks/${projectId}`)
  )
  const options = jwks
    ? { audience, issuer: `${tenant}/`, algorithms: ['RS256'] }
    : { audience: projectId, issuer: `stytch.com/${projectId}`, algorithms: ['RS256'] }
  return memberApp(async (token) => {
    const { payload } = await jwtVerify(token, keys, options)
    if (typeof payload.sub !== 'string') throw new Error('no subject')
    return payload.sub
  })
}

/** An app whose middleware turns the Bearer token into a member id with `verify`, or answers 401. */
function memberApp(verify: (token: string) => Promise<string>): BenchApp {
  const app = new Hono<{ Variables: { member: string } }>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, async (c, next) => {
    const token = bearerToken(c)
    const member = token ? await verify(token).catch(() => undefined) : undefined
    if (!member) return c.json({ error: 'unauthorized' }, 401)
    c.set('member', member)
    await next()
  })
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: c.var.member }))
  return app
}
