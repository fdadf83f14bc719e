import { HTTPException } from 'hono/http-exception'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, ConfigurationError, memoryCache, stytchAuth } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { appWith, bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

const options = () => ({
  projectId: stytch.projectId,
  secret: stytch.secret,
  baseUrl: stytch.url,
  timeoutMs: 1500,
  maxRetries: 1,
  logger: captureLogger(),
})

describe('the error table, through a real app, the real SDK and the emulator', () => {
  it('401 token_extraction with WWW-Authenticate when no token is sent', async () => {
    const res = await appWith(options()).request('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({
      error: 'authentication_failed',
      message: 'Authorization header is required',
      type: 'token_extraction',
    })
  })

  it('401 token_extraction for a malformed header, with error="invalid_request"', async () => {
    const res = await appWith(options()).request('/api/me', {
      headers: { authorization: 'Basic abc' },
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"')
    expect(await res.json()).toMatchObject({
      type: 'token_extraction',
      message: "Authorization header must be in format: 'Bearer <token>'",
    })
  })

  it('401 token_verification when Stytch does not know the session', async () => {
    const res = await appWith(options()).request(
      '/api/me',
      bearer('unknownTokenOfTheRightShape_0123456789abcdef')
    )
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect(await res.json()).toEqual({
      error: 'authentication_failed',
      message: 'Invalid or expired session token',
      type: 'token_verification',
    })
    expect(stytch.emulator.calls.authenticate).toBeGreaterThan(0)
  })

  it('503 stytch_api with Retry-After when Stytch answers 500', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault(
      { kind: 'status', status: 500 },
      { endpoint: 'authenticate' }
    )
    try {
      const res = await appWith(options()).request('/api/me', bearer(sessionToken))
      expect(res.status).toBe(503)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await res.json()).toEqual({
        error: 'service_unavailable',
        message: 'Authentication service temporarily unavailable',
        type: 'stytch_api',
      })
    } finally {
      rule.remove()
    }
  })

  it('503 stytch_api (never 401) and an ERROR log naming the fix when our secret is wrong', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const logger = captureLogger()
    const res = await appWith({ ...options(), secret: 'secret-test-wrong', logger }).request(
      '/api/me',
      bearer(sessionToken)
    )
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ type: 'stytch_api' })
    expect(
      logger.lines.some((line) => line.startsWith('error') && line.includes('STYTCH_SECRET'))
    ).toBe(true)
  })

  it('403 insufficient_permissions for a missing claim, 200 with it', async () => {
    const app = appWith(options())
    const plain = await stytch.emulator.seed()
    const res = await app.request('/api/admin', bearer(plain.sessionToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'insufficient_permissions',
      message: "Missing required claims: ['admin']",
      type: 'authorization',
    })
    const admin = await stytch.emulator.seed({ customClaims: { admin: true } })
    expect((await app.request('/api/admin', bearer(admin.sessionToken))).status).toBe(200)
  })

  it('403 insufficient_authentication without two factors, 200 with them', async () => {
    const app = appWith(options())
    const single = await stytch.emulator.seed({ factors: ['magic_link'] })
    const res = await app.request('/api/mfa', bearer(single.sessionToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'insufficient_authentication',
      message: "Missing required authentication factors: ['mfa']",
      type: 'authorization',
    })
    const mfa = await stytch.emulator.seed({ factors: ['password', 'totp'] })
    expect(await (await app.request('/api/mfa', bearer(mfa.sessionToken))).json()).toEqual({
      mfa: ['password', 'totp'],
    })
  })

  it('requiredClaims and requiredFactors as options of stytchAuth()', async () => {
    const app = new Hono()
    app.use(
      '*',
      stytchAuth({ ...options(), requiredClaims: { role: 'owner' }, requiredFactors: ['sso'] })
    )
    app.get('/', (c) => c.text('ok'))
    const owner = await stytch.emulator.seed({ customClaims: { role: 'owner' }, factors: ['sso'] })
    const viewer = await stytch.emulator.seed({
      customClaims: { role: 'viewer' },
      factors: ['sso'],
    })
    const noSso = await stytch.emulator.seed({
      customClaims: { role: 'owner' },
      factors: ['magic_link'],
    })
    expect((await app.request('/', bearer(owner.sessionToken))).status).toBe(200)
    expect(await (await app.request('/', bearer(viewer.sessionToken))).json()).toMatchObject({
      error: 'insufficient_permissions',
      message: "Missing required claims: ['role']",
    })
    expect(await (await app.request('/', bearer(noSso.sessionToken))).json()).toMatchObject({
      error: 'insufficient_authentication',
      message: "Missing required authentication factors: ['sso']",
    })
  })

  it("requiredClaims' 403 goes through onError alike on a cache miss and on a hit", async () => {
    const app = new Hono()
    const onError = (error: AuthError) =>
      new Response(`custom ${error.status}`, { status: error.status })
    app.use('*', stytchAuth({ ...options(), requiredClaims: ['admin'], onError }))
    app.get('/', (c) => c.text('ok'))
    const { sessionToken } = await stytch.emulator.seed()
    const miss = await app.request('/', bearer(sessionToken))
    const hit = await app.request('/', bearer(sessionToken))
    expect([miss.status, await miss.text()]).toEqual([403, 'custom 403'])
    expect([hit.status, await hit.text()]).toEqual([403, 'custom 403'])
  })

  it('errors are AuthError HTTPExceptions that app.onError can reshape', async () => {
    const app = appWith(options())
    app.onError((error, c) => {
      expect(error).toBeInstanceOf(HTTPException)
      if (error instanceof AuthError)
        return c.json({ problem: error.body.type, status: error.status }, error.status)
      return c.text('boom', 500)
    })
    const res = await app.request('/api/me')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ problem: 'token_extraction', status: 401 })
  })

  it('the onError option builds the response instead, for guards too', async () => {
    const onError = (error: AuthError) =>
      new Response(`custom ${error.status}`, { status: error.status })
    const app = appWith({ ...options(), onError })
    expect(await (await app.request('/api/me')).text()).toBe('custom 401')
    const plain = await stytch.emulator.seed()
    expect(await (await app.request('/api/admin', bearer(plain.sessionToken))).text()).toBe(
      'custom 403'
    )
  })

  it('optional mode: null for no token or an invalid one, the session for a valid one, 503 on an outage', async () => {
    const app = appWith(options())
    expect(await (await app.request('/optional')).json()).toEqual({ auth: null })
    expect(
      await (await app.request('/optional', { headers: { authorization: 'Bearer' } })).json()
    ).toEqual({ auth: null })
    expect(
      await (
        await app.request('/optional', bearer('unknownTokenOfTheRightShape_optional_00000'))
      ).json()
    ).toEqual({ auth: null })
    const { sessionToken, member } = await stytch.emulator.seed()
    const ok = (await (await app.request('/optional', bearer(sessionToken))).json()) as {
      auth: { memberId: string }
    }
    expect(ok.auth.memberId).toBe(member.member_id)
    const other = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault(
      { kind: 'status', status: 503 },
      { endpoint: 'authenticate' }
    )
    try {
      expect((await app.request('/optional', bearer(other.sessionToken))).status).toBe(503)
    } finally {
      rule.remove()
    }
  })
})

describe('options of the wrong type', () => {
  it.each([
    [{ requiredFactors: 'mfa' }, 'option requiredFactors: must be an array of factor names'],
    [{ requiredFactors: ['mfa', 2] }, 'option requiredFactors.1: must be a factor name'],
    [
      { requiredClaims: 5 },
      'option requiredClaims: must be an array of claim names or a record of claim values',
    ],
    [
      { entitlements: 'mongodb' },
      'option entitlements: must be an EntitlementSource (findOrganization and findMember methods), or null',
    ],
    [
      { entitlements: { findOrganization: () => null, findMember: () => null } },
      'option entitlements: must carry the names it reads: schema: entitlementSchema()',
    ],
    [
      { logger: { info: () => {} } },
      'option logger: must be a logger: an object with debug, info, warn and error methods',
    ],
    [{ l1Ttl: -1 }, 'option l1Ttl: must be ≥ 0'],
    [{ teamTtl: Infinity }, 'option teamTtl: must be finite'],
    [{ optional: 'yes' }, 'option optional: must be true or false'],
    [{ tokenFrom: 'header' }, 'option tokenFrom: must be an array'],
    [{ tokenFrom: [] }, 'option tokenFrom: must name at least one place to look'],
    [{ tokenFrom: ['query'] }, "option tokenFrom.0: must be 'header' or 'cookie'"],
    [{ cookieNames: 3 }, 'option cookieNames: must be { session?: string, jwt?: string }'],
    [
      { cookieNames: { session: '' } },
      "option cookieNames.session: must be a cookie name: letters, digits and !#$%&'*+-.^_`|~",
    ],
    [
      { cookieNames: { sesion: 'sid' } },
      'option cookieNames.sesion: must be { session?: string, jwt?: string }',
    ],
    [
      { verifier: {} },
      'option verifier: must be a SessionVerifier: an object with verify and revoke methods',
    ],
    [
      { cache: {} },
      "option cache: must be a CacheStore (get, set and delete methods) or 'memory', 'redis', 'upstash' or 'none'",
    ],
    [{ client: 'stytch' }, 'option client: must be a B2BClient of the stytch package'],
    [{ onError: 'json' }, 'option onError: must be a function'],
  ])('throw a ConfigurationError at stytchAuth(), naming the option (%#)', (wrong, problem) => {
    let thrown: unknown
    try {
      stytchAuth(wrong as never)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigurationError)
    const { status, body } = thrown as ConfigurationError
    expect(status).toBe(500)
    expect(body).toEqual({
      error: 'configuration_error',
      message: `Invalid stytchAuth() options: ${problem}`,
    })
  })

  it('the right types pass: a class instance as logger, console, a CacheStore, null entitlements', () => {
    class Silent {
      debug() {}
      info() {}
      warn() {}
      error() {}
    }
    expect(() =>
      stytchAuth({
        logger: new Silent(),
        cache: memoryCache(),
        entitlements: null,
        requiredClaims: { role: 'owner' },
        requiredFactors: [],
        tokenFrom: ['cookie'],
        cookieNames: { session: 'my_session', jwt: 'my.jwt' },
        optional: false,
        onError: () => new Response(null, { status: 401 }),
      })
    ).not.toThrow()
    expect(() => stytchAuth({ logger: console, requiredClaims: ['admin'] })).not.toThrow()
  })
})
