/**
 * What a new user sees when something is off: a configuration error is one ERROR log line and a
 * JSON 500 naming the variable (never a stack trace per request, never a secret), enumerated
 * variables accept any letter case, and `c.json(c.var.auth)` sends what the member may see.
 */
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, stytchAuth, type AuthEnv } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

function app(logger = captureLogger()) {
  const server = new Hono<AuthEnv>()
  server.use('*', stytchAuth({ logger }))
  server.get('/me', (c) => c.json(c.var.auth))
  return { server, logger }
}

describe('a configuration error', () => {
  it.each([
    [
      { STYTCH_SECRET: 'x' },
      'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()',
    ],
    [
      {
        STYTCH_PROJECT_ID: 'project-test-x',
        STYTCH_SECRET: 'secret-never-shown',
        STYTCH_CACHE: 'bogus',
      },
      'Invalid environment: STYTCH_CACHE must be memory, redis, upstash or none (got "bogus"): fix the variable, or pass `cache` to stytchAuth()',
    ],
    [
      {
        STYTCH_PROJECT_ID: 'project-test-x',
        STYTCH_SECRET: 'secret-never-shown',
        STYTCH_CACHE: 'redis',
      },
      'STYTCH_CACHE=redis needs STYTCH_REDIS_URL (or REDIS_URL, or STYTCH_REDIS_CLUSTER_NODES)',
    ],
    [
      {
        STYTCH_PROJECT_ID: 'project-test-x',
        STYTCH_SECRET: 'x',
        STYTCH_REDIS_CLUSTER_NODES: 'redis://:secret-never-shown@10.0.0.1:6379',
      },
      'Invalid environment: STYTCH_REDIS_CLUSTER_NODES must be host:port pairs separated by commas (e.g. 10.0.0.1:6379,10.0.0.2:6379) (got "redis://…@10.0.0.1:6379"): fix the variable',
    ],
    [
      { STYTCH_PROJECT_ID: 'project-test-x', STYTCH_SECRET: 'x', STYTCH_CACHE_L1_TTL: '0' },
      'l1Ttl (STYTCH_CACHE_L1_TTL) 0 keeps nothing in process, so every request reads the shared cache: set `cache` (or STYTCH_CACHE) to redis, upstash or a CacheStore',
    ],
    [
      { STYTCH_PROJECT_ID: 'project-test-x', STYTCH_SECRET: 'x', STYTCH_CACHE_L1_TTL: '-1' },
      'Invalid environment: STYTCH_CACHE_L1_TTL must be ≥ 0 (got "-1"): fix the variable, or pass `l1Ttl` to stytchAuth()',
    ],
  ])(
    'answers a JSON 500 naming the variable, logged once, no stack trace (%#)',
    async (env, message) => {
      const { server, logger } = app()
      for (let i = 0; i < 5; i++) {
        const res = await server.request(
          '/me',
          bearer('someTokenOfTheRightShape_00000000000000000'),
          env
        )
        expect(res.status).toBe(500)
        expect(res.headers.get('content-type')).toMatch(/^application\/json/)
        const body = await res.json()
        expect(body).toEqual({ error: 'configuration_error', message })
        expect(JSON.stringify(body)).not.toContain('secret-never-shown')
      }
      expect(logger.lines).toEqual([`error [ayz-auth] configuration error: ${message} `])
    }
  )

  it('is an AuthError an app can reshape in app.onError', async () => {
    const server = new Hono()
    server.use('*', stytchAuth({ logger: captureLogger() }))
    server.get('/', (c) => c.text('ok'))
    let caught: unknown
    server.onError((error, c) => {
      caught = error
      return c.text('maintenance', 500)
    })
    await server.request('/', {}, { STYTCH_SECRET: 'x' })
    expect(caught).toBeInstanceOf(ConfigurationError)
  })
})

describe('enumerated variables', () => {
  it('accept any letter case, as STYTCH_LOG_LEVEL always did', async () => {
    const { server, logger } = app()
    const { sessionToken } = await stytch.emulator.seed()
    const res = await server.request('/me', bearer(sessionToken), {
      ...stytch.env(),
      STYTCH_CACHE: 'Memory',
      STYTCH_ENV: 'TEST',
      STYTCH_LOG_LEVEL: 'debug',
    })
    expect(res.status).toBe(200)
    expect(logger.lines.join('\n')).not.toContain('configuration error')
  })
})

describe('c.json(c.var.auth)', () => {
  it('sends identity, session times and factors, not rawSession (trusted metadata, the organization settings)', async () => {
    const { server } = app()
    const { sessionToken, member } = await stytch.emulator.seed({ customClaims: { plan: 'pro' } })
    const res = await server.request('/me', bearer(sessionToken), stytch.env())
    const text = await res.text()
    const body = JSON.parse(text) as Record<string, unknown>
    expect(body).not.toHaveProperty('rawSession')
    expect(text).not.toContain('trusted_metadata')
    expect(text).not.toContain('sso_jit_provisioning')
    expect(body).toMatchObject({
      memberId: member.member_id,
      memberEmail: 'ada@acme.example',
      sessionCustomClaims: { plan: 'pro' },
      authenticationFactors: ['magic_link'],
      sessionExpiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    expect(text.length).toBeLessThan(1200)
  })
})
