import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  memoryCache,
  requirePermission,
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type AuthEvent,
  type CacheStore,
  type PrincipalEnv,
  type SessionVerifier,
} from '../../src/index.ts'
import {
  createAuthContext,
  startStytchEmulator,
  testVerifier,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())
beforeEach(() => stytch.emulator.resetCalls())

/** The emulator's project, and a logger that keeps what it is told. */
const settings = () => ({
  projectId: stytch.projectId,
  secret: stytch.secret,
  baseUrl: stytch.url,
  logger: captureLogger(),
})

function app(extra: Parameters<typeof stytchAuth>[0] = {}): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', stytchAuth({ ...settings(), ...extra }))
  app.get('/me', (c) =>
    c.json({ member: c.var.auth.memberId, expires: c.var.auth.sessionExpiresAt })
  )
  app.post('/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  return app
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('caching of verified sessions', () => {
  it('a second request with the same token makes no Stytch call', async () => {
    const server = app()
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('200 concurrent first requests with one new token make exactly one Stytch call', async () => {
    const server = app()
    const { sessionToken } = await stytch.emulator.seed()
    stytch.emulator.injectFault({ kind: 'latency', ms: 50 }, { endpoint: 'authenticate', times: 1 })
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => server.request('/me', bearer(sessionToken)))
    )
    expect(responses.map((res) => res.status)).toEqual(Array(200).fill(200))
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('a session JWT is verified locally: no /sessions/authenticate call, one JWKS fetch at most', async () => {
    const server = app({ cache: memoryCache() })
    const sessions = await Promise.all([
      stytch.emulator.seed(),
      stytch.emulator.seed(),
      stytch.emulator.seed(),
    ])
    for (const { sessionJwt, member } of sessions) {
      const res = await server.request('/me', bearer(sessionJwt))
      expect(await res.json()).toMatchObject({ member: member.member_id })
    }
    expect(stytch.emulator.calls.authenticate).toBe(0)
    expect(stytch.emulator.calls.jwks).toBeLessThanOrEqual(1)
  })

  it('a validly signed JWT past its exp is refreshed with Stytch while the session lives', async () => {
    const server = app()
    const { session } = await stytch.emulator.seed()
    const stale = await stytch.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 600_000),
    })
    const staleToo = await stytch.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 599_000),
    })
    expect((await server.request('/me', bearer(stale))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
    stytch.emulator.revokeSession(session.member_session_id)
    expect((await server.request('/me', bearer(staleToo))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it('a JWT just past its exp (within the clock tolerance) is refreshed with Stytch while the session lives', async () => {
    const server = app()
    const { session } = await stytch.emulator.seed()
    const justStale = await stytch.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 302_000),
    })
    expect((await server.request('/me', bearer(justStale))).status).toBe(200)
    expect((await server.request('/me', bearer(justStale))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('a JWT just past its exp whose session has expired is a 401 with no call to Stytch', async () => {
    const server = app()
    const { session } = await stytch.emulator.seed({ expiresAt: new Date(Date.now() - 1000) })
    const justStale = await stytch.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 302_000),
    })
    expect((await server.request('/me', bearer(justStale))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })

  it('an access token just past its exp is a 401 with no call to Stytch: it has no session to ask about', async () => {
    const server = new Hono<PrincipalEnv>()
    server.use('*', stytchAuth({ ...settings(), acceptTokens: ['m2m', 'oauth'] }))
    server.get('/me', (c) => c.text('ok'))
    const { member } = await stytch.emulator.seed()
    const { clientId } = stytch.emulator.createM2MClient({ scopes: ['read:reports'] })
    const mint = (times: { issuedAt?: Date; expiresInSeconds?: number }) =>
      Promise.all([
        stytch.emulator.mintM2MToken({ clientId, ...times }),
        stytch.emulator.mintAccessToken({ memberId: member.member_id, scopes: [], ...times }),
      ])
    for (const token of await mint({}))
      expect((await server.request('/me', bearer(token))).status).toBe(200)
    for (const token of await mint({
      issuedAt: new Date(Date.now() - 62_000),
      expiresInSeconds: 60,
    }))
      expect((await server.request('/me', bearer(token))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })

  it('a JWT signed by another key is a 401 with no call to Stytch', async () => {
    const server = app()
    const { sessionJwt } = await stytch.emulator.seed()
    const [header, payload] = sessionJwt.split('.')
    const forged = `${header}.${payload}.${'A'.repeat(342)}`
    expect((await server.request('/me', bearer(forged))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })

  it('the cache entry never outlives the session', async () => {
    const server = app({ ttl: 300 })
    const { sessionToken } = await stytch.emulator.seed({ expiresAt: new Date(Date.now() + 1500) })
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
    await sleep(1600)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it('a session revoked at Stytch stops working once its cache entry expires (the documented window)', async () => {
    const server = app({ ttl: 1 })
    const { sessionToken, session } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    stytch.emulator.revokeSession(session.member_session_id)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    await sleep(1100)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(401)
  })

  it('revokeSession closes that window: revoked at Stytch and purged at once', async () => {
    const server = app({ ttl: 300 })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(
      (await server.request('/logout', { method: 'POST', ...bearer(sessionToken) })).status
    ).toBe(204)
    expect(stytch.emulator.calls.revoke).toBe(1)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(401)
    expect(
      await stytch
        .client()
        .sessions.authenticate({ session_token: sessionToken })
        .catch((error: { status_code: number }) => error.status_code)
    ).toBe(404)
  })

  it('a rejected token is answered from the negative cache for a while', async () => {
    const server = app()
    const bogus = 'bogusTokenOfTheRightShape_0000000000000000'
    for (let i = 0; i < 5; i++)
      expect((await server.request('/me', bearer(bogus))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('the cache-hit fast path keeps every extraction rule: duplicate headers, schemes, cookies', async () => {
    const server = app()
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    const twice = await server.request('/me', {
      headers: { authorization: `Bearer ${sessionToken}, Bearer ${sessionToken}` },
    })
    expect(twice.status).toBe(401)
    expect(await twice.json()).toMatchObject({
      message: 'Multiple Authorization headers are not allowed',
    })
    expect(
      (await server.request('/me', { headers: { authorization: `bearer ${sessionToken}` } })).status
    ).toBe(200)
    expect(
      (await server.request('/me', { headers: { cookie: `stytch_session=${sessionToken}` } }))
        .status
    ).toBe(200)
    const cookieFirst = app({ tokenFrom: ['cookie', 'header'] })
    const other = await stytch.emulator.seed()
    const res = await cookieFirst.request('/me', {
      headers: {
        authorization: `Bearer ${sessionToken}`,
        cookie: `stytch_session=${other.sessionToken}`,
      },
    })
    expect(await res.json()).toMatchObject({ member: other.member.member_id })
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it('a budget that does not split into whole milliseconds still reaches Stytch', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    expect(
      (await app({ timeoutMs: 5001, maxRetries: 3 }).request('/me', bearer(sessionToken))).status
    ).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('a token of impossible shape is rejected without asking Stytch', async () => {
    const server = app()
    expect((await server.request('/me', bearer('short'))).status).toBe(401)
    expect((await server.request('/me', bearer('has.two'))).status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })
})

describe('revocation, and the settings of each stytchAuth()', () => {
  const logout = (server: Hono<AuthEnv>, init: { headers: Record<string, string> }) =>
    server.request('/logout', { method: 'POST', ...init })

  it('revokeSession refuses a session JWT until its exp, though it would still verify locally', async () => {
    const server = app()
    const { sessionJwt } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionJwt))).status).toBe(200)
    expect((await logout(server, bearer(sessionJwt))).status).toBe(204)
    // A minute later (an ordinary rejection is remembered 10 s), then past the JWT's 5-minute exp.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 })
    try {
      expect((await server.request('/me', bearer(sessionJwt))).status).toBe(401)
      vi.setSystemTime(Date.now() + 300_000)
      expect((await server.request('/me', bearer(sessionJwt))).status).toBe(401)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a verification in flight when its session is revoked caches nothing and lets nothing in', async () => {
    let verifying!: () => void
    const started = new Promise<void>((resolve) => (verifying = resolve))
    let answer!: () => void
    const answered = new Promise<void>((resolve) => (answer = resolve))
    const verifier: SessionVerifier = {
      async verify() {
        verifying()
        await answered // Stytch said yes just before the logout; the answer is still on its way
        return { auth: createAuthContext(), validUntil: Date.now() + 3_600_000 }
      },
      async revoke() {},
    }
    const options = { verifier, entitlements: null }
    const server = new Hono<AuthEnv>()
    server.use('*', stytchAuth(options))
    server.get('/me', (c) => c.text('ok'))
    const token = 'inFlightDuringLogout_000000000000000000'
    const inFlight = server.request('/me', bearer(token))
    await started
    await revokeSession(token, options)
    answer()
    expect((await inFlight).status).toBe(401)
    expect((await server.request('/me', bearer(token))).status).toBe(401)
  })

  it("a route keeps its own ttl and cache: 'none' when another route cached the session", async () => {
    const { sessionToken, session } = await stytch.emulator.seed()
    const cached = app()
    const short = app({ ttl: 1 })
    const none = app({ cache: 'none' })
    expect((await cached.request('/me', bearer(sessionToken))).status).toBe(200)
    stytch.emulator.revokeSession(session.member_session_id)
    // `none` asks Stytch on every request; the default route serves its documented window (300 s).
    expect((await none.request('/me', bearer(sessionToken))).status).toBe(401)
    expect((await cached.request('/me', bearer(sessionToken))).status).toBe(200)
    await sleep(1100)
    expect((await short.request('/me', bearer(sessionToken))).status).toBe(401)
  })

  it('two custom verifiers never share what they verified', async () => {
    const token = 'knownToOneVerifierOnly_0000000000000000'
    const routeOf = (verifier: SessionVerifier) => {
      const server = new Hono<AuthEnv>()
      server.use('*', stytchAuth({ verifier, entitlements: null }))
      server.get('/me', (c) => c.text('ok'))
      return server
    }
    const knows = routeOf(testVerifier({ [token]: createAuthContext() }))
    const knowsNot = routeOf(testVerifier({}))
    expect((await knows.request('/me', bearer(token))).status).toBe(200)
    expect((await knowsNot.request('/me', bearer(token))).status).toBe(401)
  })

  it('a flood of rejected tokens does not evict a revocation', async () => {
    const server = app()
    const { sessionJwt } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionJwt))).status).toBe(200)
    expect((await logout(server, bearer(sessionJwt))).status).toBe(204)
    // More rejected tokens than the in-process tiers hold (10,000), each refused locally.
    for (let i = 0; i < 10_100; i++)
      expect(
        (await server.request('/me', bearer(`eyJub3Q.a2p3dA.${i}floodfloodflood`))).status
      ).toBe(401)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 })
    try {
      expect((await server.request('/me', bearer(sessionJwt))).status).toBe(401)
    } finally {
      vi.useRealTimers()
    }
  }, 60_000)

  it('a revocation while a shared-cache read is on its way is not undone by what it returns', async () => {
    const inner = memoryCache()
    let slowReads: Promise<void> | undefined
    const store: CacheStore = {
      get: async (key) => {
        const value = await inner.get(key)
        await slowReads
        return value
      },
      set: (key, value, ttl) => inner.set(key, value, ttl),
      delete: (key) => inner.delete(key),
    }
    // The in-process tier lives 1 ms: every request reads the shared tier.
    const server = app({ cache: store, l1Ttl: 0.001 })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    await sleep(5)
    let release!: () => void
    slowReads = new Promise((resolve) => (release = resolve))
    const reading = server.request('/me', bearer(sessionToken))
    await sleep(20)
    await revokeSession(sessionToken, settings())
    release()
    expect((await reading).status).toBe(401)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(401)
  })

  it('l1Ttl: 0 keeps nothing in process: every request reads the shared tier', async () => {
    const shared = memoryCache()
    const direct = app({ cache: shared, l1Ttl: 0 })
    const buffered = app({ cache: shared })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await direct.request('/me', bearer(sessionToken))).status).toBe(200)
    expect((await buffered.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(1)
    // Gone from the shared tier: the direct mount asks Stytch at once, even with the session in
    // this process's tier (the buffered mount's, of the same project), which serves it on.
    for (const [key] of [...shared.entries()])
      if (key.includes(':session:')) await shared.delete(key)
    expect((await direct.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(2)
    expect((await buffered.request('/me', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it('l1Ttl: 0: the revoked event of a logout still names the session and member', async () => {
    const events: AuthEvent[] = []
    const server = app({ cache: memoryCache(), l1Ttl: 0, onEvent: (event) => events.push(event) })
    const { sessionToken, session, member } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    const logout = await server.request('/logout', { method: 'POST', ...bearer(sessionToken) })
    expect(logout.status).toBe(204)
    expect(events.at(-1)).toEqual({
      type: 'revoked',
      sessionId: session.member_session_id,
      memberId: member.member_id,
    })
  })

  it('l1Ttl: 0 keeps credentials out of process, not the RBAC policy', async () => {
    const shared = memoryCache()
    const server = new Hono<AuthEnv>()
    server.use('*', stytchAuth({ ...settings(), cache: shared, l1Ttl: 0 }))
    server.get('/docs', requirePermission('documents', 'read'), (c) => c.text('ok'))
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/docs', bearer(sessionToken))).status).toBe(200)
    const policyCalls = stytch.emulator.calls.policy
    // With the shared tier emptied (as in an outage), the policy is still in process.
    for (const [key] of [...shared.entries()]) await shared.delete(key)
    expect((await server.request('/docs', bearer(sessionToken))).status).toBe(200)
    expect(stytch.emulator.calls.policy).toBe(policyCalls)
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it("a custom verifier's sessions never reach the shared tier", async () => {
    const shared = memoryCache()
    const token = 'vouchedForByACustomVerifier_00000000000'
    const custom = new Hono<AuthEnv>()
    custom.use(
      '*',
      stytchAuth({
        verifier: testVerifier({ [token]: createAuthContext() }),
        entitlements: null,
        cache: shared,
        secret: stytch.secret,
      })
    )
    custom.get('/me', (c) => c.text('ok'))
    expect((await custom.request('/me', bearer(token))).status).toBe(200)
    expect([...shared.entries()].filter(([key]) => key.includes(':session:'))).toEqual([])
    expect((await app({ cache: shared }).request('/me', bearer(token))).status).toBe(401)
  })

  it('revokeSession finds the token where its stytchAuth() looks: cookieNames, tokenFrom', async () => {
    const renamed = app({ cookieNames: { session: 'my_session' } })
    const first = await stytch.emulator.seed()
    const inCookie = { headers: { cookie: `my_session=${first.sessionToken}` } }
    expect((await renamed.request('/me', inCookie)).status).toBe(200)
    expect((await logout(renamed, inCookie)).status).toBe(204)
    expect((await renamed.request('/me', inCookie)).status).toBe(401)
    // Cookies only: a gateway's own Bearer token beside the cookie is not the session logged out.
    const cookiesOnly = app({ tokenFrom: ['cookie'] })
    const second = await stytch.emulator.seed()
    const both = {
      headers: {
        cookie: `stytch_session=${second.sessionToken}`,
        authorization: 'Bearer gatewayToken_00000000000000000000',
      },
    }
    expect((await cookiesOnly.request('/me', both)).status).toBe(200)
    expect((await logout(cookiesOnly, both)).status).toBe(204)
    const atStytch = await stytch
      .client()
      .sessions.authenticate({ session_token: second.sessionToken })
      .catch((error: { status_code: number }) => error.status_code)
    expect(atStytch).toBe(404)
  })

  it('revokeSession with the shared cache down deletes the entry there once it answers again', async () => {
    const inner = memoryCache()
    let down = false
    const store: CacheStore = {
      name: 'flaky cache',
      cooldownMs: 50,
      get: (key) => inner.get(key),
      set: (key, value, ttl) => inner.set(key, value, ttl),
      delete: (key) => (down ? Promise.reject(new Error('cache down')) : inner.delete(key)),
    }
    const server = app({ cache: store })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(200)
    const sessionKeys = () =>
      [...inner.entries()].map(([key]) => key).filter((key) => key.includes(':session:'))
    const [revokedKey] = sessionKeys()
    down = true
    expect((await logout(server, bearer(sessionToken))).status).toBe(204)
    expect((await server.request('/me', bearer(sessionToken))).status).toBe(401)
    expect(sessionKeys()).toEqual([revokedKey])
    down = false
    await sleep(100) // the breaker's cooldown
    const other = await stytch.emulator.seed()
    expect((await server.request('/me', bearer(other.sessionToken))).status).toBe(200)
    await sleep(50)
    const keys = sessionKeys()
    expect(keys).toHaveLength(1) // the other session's
    expect(keys).not.toContain(revokedKey)
  })

  it('on @hono/node-server the fast path reads the request, not the socket it came on', async () => {
    const server = app()
    // A route re-dispatching without the caller's credentials, and one whose middleware strips them.
    server.get('/anonymous', (c) => server.fetch(new Request('http://localhost/me'), c.env))
    const stripped = new Hono<AuthEnv>()
    stripped.use('*', async (c, next) => {
      c.req.raw.headers.delete('authorization')
      await next()
    })
    stripped.use('*', stytchAuth(settings()))
    stripped.get('/me', (c) => c.text('ok'))
    server.route('/stripped', stripped)
    const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const http = serve({ fetch: server.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(http)
      )
    })
    try {
      const { port } = listening.address() as AddressInfo
      const { sessionToken } = await stytch.emulator.seed()
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, bearer(sessionToken))
      expect((await get('/me')).status).toBe(200) // now cached
      expect((await get('/anonymous')).status).toBe(401)
      expect((await get('/stripped/me')).status).toBe(401)
    } finally {
      await new Promise((resolve) => listening.close(resolve))
    }
  })
})
