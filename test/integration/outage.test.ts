import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startStytchEmulator,
  type Fault,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { appWith, bearer, captureLogger, timed } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

const TIMEOUT_MS = 800
const options = () => ({
  projectId: stytch.projectId,
  secret: stytch.secret,
  baseUrl: stytch.url,
  timeoutMs: TIMEOUT_MS,
  maxRetries: 2,
  logger: captureLogger(),
})

describe('Stytch unavailable: 503 stytch_api within the timeout, never a 500 or a 401', () => {
  it.each<[string, Fault]>([
    ['hung', { kind: 'hang' }],
    ['429', { kind: 'status', status: 429 }],
    ['500', { kind: 'status', status: 500 }],
    ['503', { kind: 'status', status: 503 }],
    ['non-JSON', { kind: 'non-json' }],
    ['truncated JSON', { kind: 'truncated-json' }],
    ['JSON of the wrong shape', { kind: 'wrong-shape' }],
    ['connection reset', { kind: 'reset' }],
  ])('%s', async (_name, fault) => {
    const { sessionToken } = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault(fault, { endpoint: 'authenticate' })
    try {
      const { ms, value: res } = await timed(
        appWith(options()).request('/api/me', bearer(sessionToken))
      )
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ error: 'service_unavailable', type: 'stytch_api' })
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(ms).toBeLessThan(TIMEOUT_MS + 500)
    } finally {
      rule.remove()
    }
  })

  it('hung, through a B2BClient passed as `client`: cut at timeoutMs too, though the SDK takes no signal', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault({ kind: 'hang' }, { endpoint: 'authenticate' })
    try {
      const app = appWith({ ...options(), client: stytch.client() })
      const { ms, value: res } = await timed(app.request('/api/me', bearer(sessionToken)))
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ error: 'service_unavailable', type: 'stytch_api' })
      expect(ms).toBeLessThan(TIMEOUT_MS + 500)
      expect(stytch.emulator.calls.authenticate).toBeGreaterThanOrEqual(1)
    } finally {
      rule.remove()
    }
  })

  it('a B2BClient passed as `client` is what the library asks Stytch with', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    // The options' secret is wrong: only the client's own credentials can answer 200.
    const app = appWith({ ...options(), secret: 'not-the-project-secret', client: stytch.client() })
    expect((await app.request('/api/me', bearer(sessionToken))).status).toBe(200)
    expect(
      (await app.request('/api/me', bearer('madeUpButWellShaped_0000000000000000'))).status
    ).toBe(401)
  })

  it('refusing connections, and recovery when Stytch returns', async () => {
    const app = appWith(options())
    const { sessionToken } = await stytch.emulator.seed()
    await stytch.pause()
    try {
      const { ms, value: res } = await timed(app.request('/api/me', bearer(sessionToken)))
      expect(res.status).toBe(503)
      expect(ms).toBeLessThan(TIMEOUT_MS + 500)
    } finally {
      await stytch.resume()
    }
    expect((await app.request('/api/me', bearer(sessionToken))).status).toBe(200)
  })

  it('retries a transient failure within the budget and succeeds', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    stytch.emulator.resetCalls()
    stytch.emulator.injectFault(
      { kind: 'status', status: 502 },
      { endpoint: 'authenticate', times: 1 }
    )
    const res = await appWith(options()).request('/api/me', bearer(sessionToken))
    expect(res.status).toBe(200)
    expect(stytch.emulator.calls.authenticate).toBe(2)
  })

  it('never retries a 4xx', async () => {
    stytch.emulator.resetCalls()
    const res = await appWith(options()).request(
      '/api/me',
      bearer('unknownTokenOfTheRightShape_noretry_00000')
    )
    expect(res.status).toBe(401)
    expect(stytch.emulator.calls.authenticate).toBe(1)
  })

  it('a slow Stytch inside the budget is waited for', async () => {
    const { sessionToken } = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault(
      { kind: 'latency', ms: 300 },
      { endpoint: 'authenticate' }
    )
    try {
      expect((await appWith(options()).request('/api/me', bearer(sessionToken))).status).toBe(200)
    } finally {
      rule.remove()
    }
  })

  it('JWKS unreachable: a session JWT gets 503, not 401', async () => {
    const { sessionJwt } = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    try {
      const res = await appWith(options()).request('/api/me', bearer(sessionJwt))
      expect(res.status).toBe(503)
    } finally {
      rule.remove()
    }
  })
})
