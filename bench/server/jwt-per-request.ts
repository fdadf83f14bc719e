import { Hono } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { FixtureInfo } from '../fixtures/api.ts'
import { type BenchApp, HEALTH_PATH, PROTECTED_PATH, bearerToken } from './common.ts'
import type { MeBody } from './spec.ts'

/**
 * What `hono/jwk` or `@hono/stytch-auth`'s local mode cost: the session JWT verified with `jose`
 * on every request, against a JWKS fetched once and cached.
 *
 * @example
 * ```ts
 * serve({ fetch: jwtPerRequestApp(fixtures).fetch })
 * ```
 */
export function jwtPerRequestApp(fixtures: FixtureInfo): BenchApp {
  const { url, projectId } = fixtures.stytch
  const keys = createRemoteJWKSet(new URL(`/v1/b2b/sessions/jwks/${projectId}`, url))
  const options = { audience: projectId, issuer: `stytch.com/${projectId}`, algorithms: ['RS256'] }

  const app = new Hono<{ Variables: { member: string } }>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, async (c, next) => {
    const token = bearerToken(c)
    if (!token) return c.json({ error: 'unauthorized' }, 401)
    try {
      const { payload } = await jwtVerify(token, keys, options)
      if (typeof payload.sub !== 'string') return c.json({ error: 'unauthorized' }, 401)
      c.set('member', payload.sub)
    } catch {
      return c.json({ error: 'unauthorized' }, 401)
    }
    await next()
  })
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: c.var.member }))
  return app
}
