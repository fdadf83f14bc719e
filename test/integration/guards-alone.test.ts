import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ConfigurationError,
  requireClaims,
  requireFactors,
  stytchAuth,
  type AuthEnv,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

describe('a guard used without stytchAuth() before it', () => {
  it('authenticates the request by itself, from the environment', async () => {
    const app = new Hono<AuthEnv>()
    app.get('/admin', requireClaims('admin'), (c) => c.json({ member: c.var.auth.memberId }))
    const admin = await stytch.emulator.seed({ customClaims: { admin: true } })
    const plain = await stytch.emulator.seed()
    expect((await app.request('/admin', {}, stytch.env())).status).toBe(401)
    expect((await app.request('/admin', bearer(plain.sessionToken), stytch.env())).status).toBe(403)
    expect(
      await (await app.request('/admin', bearer(admin.sessionToken), stytch.env())).json()
    ).toEqual({ member: admin.member.member_id })
  })

  it('answers 401 to an anonymous request in optional mode', async () => {
    const app = new Hono()
    app.use('*', stytchAuth({ optional: true }))
    app.get('/mfa', requireFactors('mfa'), (c) => c.text('ok'))
    const res = await app.request('/mfa', {}, stytch.env())
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ type: 'token_extraction' })
  })
})

describe('misconfiguration', () => {
  it('fails loudly, naming the variable and the option, without leaking anything to the client', async () => {
    vi.stubEnv('STYTCH_PROJECT_ID', '')
    const logger = captureLogger()
    const app = new Hono()
    app.use('*', stytchAuth({ logger }))
    app.get('/', (c) => c.text('ok'))
    let caught: unknown
    app.onError((error, c) => {
      caught = error
      return c.text('Internal Server Error', 500)
    })
    const res = await app.request('/', bearer('someTokenOfTheRightShape_00000000000000000'), {
      STYTCH_SECRET: 'x',
    })
    expect(res.status).toBe(500)
    expect(caught).toBeInstanceOf(ConfigurationError)
    expect((caught as Error).message).toBe(
      'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()'
    )
    expect(logger.lines).toEqual([
      'error [ayz-auth] configuration error: STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth() ',
    ])
  })

  it('rejects an invalid option at startup', () => {
    expect(() => stytchAuth({ ttl: 0 })).toThrow(ConfigurationError)
  })
})
