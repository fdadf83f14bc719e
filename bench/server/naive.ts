import { Hono } from 'hono'
import { B2BClient } from 'stytch'
import type { FixtureInfo } from '../fixtures/api.ts'
import { type BenchApp, HEALTH_PATH, PROTECTED_PATH, bearerToken } from './common.ts'
import type { MeBody } from './spec.ts'

/**
 * What Stytch's examples do: a middleware calling `sessions.authenticate` on every request, with
 * the official SDK and no cache.
 *
 * @example
 * ```ts
 * serve({ fetch: naiveApp(fixtures).fetch })
 * ```
 */
export function naiveApp(fixtures: FixtureInfo): BenchApp {
  const warn = console.warn
  console.warn = () => {} // the SDK's notice about a custom `env` (the emulator)
  const client = new B2BClient({
    project_id: fixtures.stytch.projectId,
    secret: fixtures.stytch.secret,
    env: `${fixtures.stytch.url}/`,
  })
  console.warn = warn

  const app = new Hono<{ Variables: { member: string } }>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, async (c, next) => {
    const token = bearerToken(c)
    if (!token) return c.json({ error: 'unauthorized' }, 401)
    try {
      const { member_session } = await client.sessions.authenticate({ session_token: token })
      c.set('member', member_session.member_id)
    } catch {
      return c.json({ error: 'unauthorized' }, 401)
    }
    await next()
  })
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: c.var.member }))
  return app
}
