import { Hono } from 'hono'
import { type BenchApp, HEALTH_PATH, PROTECTED_PATH } from './common.ts'
import type { MeBody } from './spec.ts'

/**
 * The same app with no authentication at all: the ceiling every ratio is taken against. With
 * `withMiddleware`, one empty async middleware in front of the route: what any middleware costs
 * (Hono then runs the route through its async middleware chain).
 *
 * @example
 * ```ts
 * serve({ fetch: baselineApp().fetch })
 * ```
 */
export function baselineApp(withMiddleware = false): BenchApp {
  const app = new Hono()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  if (withMiddleware) {
    app.use(PROTECTED_PATH, async (_c, next) => {
      await next()
    })
  }
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: 'anonymous' }))
  return app
}
