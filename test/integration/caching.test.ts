import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  memoryCache,
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type PrincipalEnv,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())
beforeEach(() => stytch.emulator.resetCalls())

function app(extra: Parameters<typeof stytchAuth>[0] = {}): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use(
    '*',
    stytchAuth({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      logger: captureLogger(),
      ...extra,
    })
  )
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
    server.use(
      '*',
      stytchAuth({
        projectId: stytch.projectId,
        secret: stytch.secret,
        baseUrl: stytch.url,
        logger: captureLogger(),
        acceptTokens: ['m2m', 'oauth'],
      })
    )
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
