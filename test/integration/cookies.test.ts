/**
 * Sessions in Stytch's cookies, as browsers send them: served from the cache on the same fast path
 * as a Bearer header, and never ambiguous (a duplicated session cookie, as a sibling subdomain can
 * toss, is a 401 whatever the cache holds).
 */
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { appWith } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())
beforeEach(() => stytch.emulator.resetCalls())

const cookie = (value: string) => ({ headers: { cookie: value } })

function app() {
  return appWith({ projectId: stytch.projectId, secret: stytch.secret, baseUrl: stytch.url })
}

describe('a session token in the stytch_session cookie', () => {
  it('is verified once, then served from the cache among other cookies', async () => {
    const server = app()
    const { sessionToken, member } = await stytch.emulator.seed()
    const header = `theme=dark; stytch_session=${sessionToken}; _ga=GA1.1.123`
    for (let i = 0; i < 5; i++) {
      const res = await server.request('/api/me', cookie(header))
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ memberId: member.member_id })
    }
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('a session JWT in stytch_session_jwt is verified locally and served from the cache', async () => {
    const server = app()
    const { sessionJwt, member } = await stytch.emulator.seed()
    for (let i = 0; i < 3; i++) {
      const res = await server.request('/api/me', cookie(`stytch_session_jwt=${sessionJwt}`))
      expect(await res.json()).toMatchObject({ memberId: member.member_id })
    }
    expect(stytch.emulator.calls.authenticate).toBe(0)
  })

  it.each([
    [
      'stytch_session',
      (token: string, other: string) => `stytch_session=${token}; stytch_session=${other}`,
    ],
    [
      'stytch_session',
      (token: string, other: string) => `stytch_session=${other}; a=1; stytch_session=${token}`,
    ],
    ['stytch_session', (token: string) => `stytch_session=${token}; stytch_session=${token}`],
  ])('a duplicated %s cookie is a 401 even when its token is cached (%#)', async (name, header) => {
    const server = app()
    const victim = await stytch.emulator.seed()
    const attacker = await stytch.emulator.seed()
    // Both sessions are cached: a fast path serving the first or the last value would answer 200.
    expect(
      (await server.request('/api/me', cookie(`stytch_session=${victim.sessionToken}`))).status
    ).toBe(200)
    expect(
      (await server.request('/api/me', cookie(`stytch_session=${attacker.sessionToken}`))).status
    ).toBe(200)
    const res = await server.request(
      '/api/me',
      cookie(header(victim.sessionToken, attacker.sessionToken))
    )
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({
      error: 'authentication_failed',
      type: 'token_extraction',
      message: `Duplicate ${name} cookie: another site on your domain may have set one; clear this site's cookies and sign in again`,
    })
    // Optional mode: a token problem is an anonymous request, never the first or last session.
    const optional = await server.request(
      '/optional',
      cookie(header(victim.sessionToken, attacker.sessionToken))
    )
    expect(await optional.json()).toEqual({ auth: null })
  })

  it('a duplicated stytch_session_jwt cookie is a 401 when no session token cookie is sent', async () => {
    const server = app()
    const { sessionJwt } = await stytch.emulator.seed()
    expect(
      (await server.request('/api/me', cookie(`stytch_session_jwt=${sessionJwt}`))).status
    ).toBe(200)
    const res = await server.request(
      '/api/me',
      cookie(`stytch_session_jwt=${sessionJwt}; stytch_session_jwt=${sessionJwt}`)
    )
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({
      type: 'token_extraction',
      message: expect.stringContaining('Duplicate stytch_session_jwt cookie'),
    })
  })

  it('a cached token under another cookie name, or inside another cookie, is not a session', async () => {
    const server = app()
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/api/me', cookie(`stytch_session=${sessionToken}`))).status).toBe(
      200
    )
    for (const header of [
      `xstytch_session=${sessionToken}`,
      `stytch_sessionx=${sessionToken}`,
      `other=stytch_session=${sessionToken}`,
      `other="a stytch_session=${sessionToken}"`,
    ]) {
      const res = await server.request('/api/me', cookie(header))
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ type: 'token_extraction' })
    }
  })

  it('a cookie name left undefined in cookieNames keeps its default', async () => {
    const server = appWith({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      cookieNames: { session: undefined, jwt: 'my_jwt' },
    })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await server.request('/api/me', cookie(`stytch_session=${sessionToken}`))).status).toBe(
      200
    )
    expect((await server.request('/api/me', cookie(`undefined=${sessionToken}`))).status).toBe(401)
  })

  it('the Authorization header wins over the cookie, on the fast path too', async () => {
    const server = app()
    const a = await stytch.emulator.seed()
    const b = await stytch.emulator.seed()
    await server.request('/api/me', cookie(`stytch_session=${b.sessionToken}`))
    const both = {
      headers: {
        authorization: `Bearer ${a.sessionToken}`,
        cookie: `stytch_session=${b.sessionToken}`,
      },
    }
    for (let i = 0; i < 2; i++) {
      expect(await (await server.request('/api/me', both)).json()).toMatchObject({
        memberId: a.member.member_id,
      })
    }
  })
})

describe("on @hono/node-server, where the fast path reads Node's raw headers", () => {
  /** Status and body of a GET with `sent` headers exactly as listed (name, value, …). */
  function get(port: number, sent: string[]): Promise<{ status: number; body: string }> {
    const headers = ['Host', `127.0.0.1:${port}`, ...sent]
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/me', headers }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject).end()
    })
  }

  it('serves a cached token from any header case, and never one of a header sent twice', async () => {
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const listening = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(listening)
      )
    })
    try {
      const { port } = server.address() as AddressInfo
      const victim = await stytch.emulator.seed()
      const attacker = await stytch.emulator.seed()
      for (const { sessionToken } of [victim, attacker]) {
        expect((await get(port, ['Cookie', `stytch_session=${sessionToken}`])).status).toBe(200)
        expect((await get(port, ['AUTHORIZATION', `Bearer ${sessionToken}`])).status).toBe(200)
      }
      expect(stytch.emulator.calls.authenticate).toBe(2)
      const twice = [
        [
          'cookie',
          `stytch_session=${victim.sessionToken}`,
          'cookie',
          `stytch_session=${attacker.sessionToken}`,
        ],
        [
          'authorization',
          `Bearer ${victim.sessionToken}`,
          'Authorization',
          `Bearer ${attacker.sessionToken}`,
        ],
        [
          'authorization',
          `Bearer ${victim.sessionToken}`,
          'authorization',
          `Bearer ${victim.sessionToken}`,
        ],
      ]
      for (const headers of twice) {
        const res = await get(port, headers)
        expect(res.status).toBe(401)
        expect(JSON.parse(res.body)).toMatchObject({ error: 'authentication_failed' })
      }
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
