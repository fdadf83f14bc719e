/**
 * @module
 * A server for the L1 cost ladder: the benchmark's baseline app with one step more of the
 * cache-hit path at each rung. Arguments: the rung's name, a JSON file of the tokens, the cookie
 * the `cookie:` rungs read. Reports `{ ready: port }` and answers `{ cpu: id }` with its CPU time,
 * like the benchmark's servers.
 */
import { hash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { serve } from '@hono/node-server'
import { memoryCache, stytchAuth, type AuthEnv } from 'ayz-auth'
import { createAuthContext, testVerifier } from 'ayz-auth/testing'
import { Hono, type MiddlewareHandler } from 'hono'
import { parse as parseCookies } from 'hono/utils/cookie'
import type { Rung } from './ladder-rungs.ts'

const auth = createAuthContext()
const sessions = new Map<string, unknown>()
const keyOf = (token: string): string => `ayz_auth:session:${hash('sha256', token, 'hex')}`

type Bindings = { incoming: IncomingMessage }

/**
 * The value of cookie `name` in a `Cookie` header, found by scanning for `name=` at the start of
 * the header or after a `;` (and optional spaces): the least a middleware can do.
 */
function scanCookie(header: string, name: string): string | undefined {
  const wanted = `${name}=`
  for (let at = header.indexOf(wanted); at !== -1; at = header.indexOf(wanted, at + 1)) {
    let before = at - 1
    while (before >= 0 && header.charCodeAt(before) === 32) before--
    if (before >= 0 && header.charCodeAt(before) !== 59) continue
    const end = header.indexOf(';', at + wanted.length)
    return header.slice(at + wanted.length, end === -1 ? undefined : end)
  }
  return undefined
}

function middlewareOf(
  rung: Rung,
  tokens: readonly string[],
  cookie: string
): MiddlewareHandler<{ Bindings: Bindings; Variables: { auth: unknown } }> | undefined {
  for (const token of tokens) sessions.set(keyOf(token), auth)
  switch (rung) {
    case 'baseline':
    case 'stytchAuth':
    case 'cookie:baseline':
    case 'cookie:stytchAuth':
      return undefined
    case 'empty-middleware':
      return async (_c, next) => {
        await next()
      }
    case 'read-header':
      return async (c, next) => {
        if (!c.req.header('authorization')) return c.text('no', 401)
        await next()
      }
    case 'read-header+sha256+map+set':
      return async (c, next) => {
        const header = c.req.header('authorization')
        const found = header && sessions.get(keyOf(header.slice(7)))
        if (!found) return c.text('no', 401)
        c.set('auth', found)
        await next()
      }
    case 'node-header+sha256+map+set':
      return async (c, next) => {
        const header = c.env.incoming.headers.authorization
        const found = header && sessions.get(keyOf(header.slice(7)))
        if (!found) return c.text('no', 401)
        c.set('auth', found)
        await next()
      }
    case 'cookie:scan+sha256+map+set':
      return async (c, next) => {
        const header = c.req.header('cookie')
        const token = header && scanCookie(header, cookie)
        const found = token && sessions.get(keyOf(token))
        if (!found) return c.text('no', 401)
        c.set('auth', found)
        await next()
      }
    case 'cookie:hono-parse+sha256+map+set':
      return async (c, next) => {
        const header = c.req.header('cookie')
        const token = header && parseCookies(header, cookie)[cookie]
        const found = token && sessions.get(keyOf(token))
        if (!found) return c.text('no', 401)
        c.set('auth', found)
        await next()
      }
  }
}

const rung = (process.argv[2] ?? 'baseline') as Rung
const tokens = JSON.parse(readFileSync(process.argv[3] ?? '', 'utf8')) as string[]
const cookie = process.argv[4] ?? 'stytch_session'
const app = new Hono<{ Bindings: Bindings; Variables: { auth: unknown } }>()
const middleware = middlewareOf(rung, tokens, cookie)
if (middleware) app.use('/api/me', middleware)
if (rung === 'stytchAuth' || rung === 'cookie:stytchAuth') {
  const middleware: MiddlewareHandler<AuthEnv> = stytchAuth({
    verifier: testVerifier(auth),
    entitlements: null,
    cache: memoryCache(),
    maxVerificationsPerSecond: 100_000,
    logLevel: 'ERROR',
  })
  app.use(
    '/api/me',
    middleware as unknown as MiddlewareHandler<{ Bindings: Bindings; Variables: { auth: unknown } }>
  )
}
app.get('/api/me', (c) => c.json({ member: 'member-test-00000000-0000-4000-8000-000000000123' }))
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (address) =>
  process.send?.({ ready: address.port })
)
process.on('message', (message: unknown) => {
  const id = (message as { cpu?: unknown } | null)?.cpu
  if (typeof id !== 'number') return
  const { user, system } = process.cpuUsage()
  process.send?.({ cpu: id, micros: user + system })
})
process.on('disconnect', () => process.exit(0))
