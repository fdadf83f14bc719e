/**
 * Type test: with the opt-in `ayz-auth/global` import, `c.var.auth` and `c.get('auth')` are an
 * `AuthContext` in an app that declares no `Env` at all. Checked by `tsc -p` on this folder alone
 * (test/runtimes/packaging.test.ts), since the augmentation is global to a program.
 */
import 'ayz-auth/global'
import { Hono } from 'hono'
import { stytchAuth, type AuthContext } from 'ayz-auth'
import { expectTypeOf } from 'vitest'

const app = new Hono()
app.use('*', stytchAuth())
app.get('/me', (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext>()
  expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext>()
  return c.text(c.var.auth.memberId)
})
