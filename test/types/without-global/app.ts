/**
 * Type test: without `ayz-auth/global`, importing `ayz-auth` augments nothing: `c.var.auth` is
 * typed through `Hono<AuthEnv>` (and `OptionalAuthEnv`), and is not there in an app without them.
 * Checked by `tsc -p` on this folder alone (test/runtimes/packaging.test.ts).
 */
import { Hono } from 'hono'
import { stytchAuth, type AuthContext, type AuthEnv, type OptionalAuthEnv } from 'ayz-auth'
import { expectTypeOf } from 'vitest'

const api = new Hono<AuthEnv>()
api.use('*', stytchAuth())
api.get('/me', (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext>()
  return c.text(c.var.auth.memberId)
})

const shop = new Hono<OptionalAuthEnv>()
shop.use('*', stytchAuth({ optional: true }))
shop.get('/', (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext | null>()
  return c.text(c.var.auth?.memberId ?? 'guest')
})

const untyped = new Hono()
untyped.use('*', stytchAuth())
untyped.get('/me', (c) => {
  // @ts-expect-error no global augmentation: an app without AuthEnv has no typed `auth` variable
  return c.text(c.var.auth.memberId)
})
