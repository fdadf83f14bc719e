/**
 * Issue 23: every authentication span says which cache tier answered, a failed one included. After
 * a cache miss (nothing in any tier, so the credential was verified: by Stytch or locally), the
 * span carries `ayz_auth.cache_tier: 'miss'` whether the answer is a 200, a 401 or a 503; the real
 * OpenTelemetry SDK records the spans, the Stytch emulator answers through the real SDK.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../adapters/opentelemetry.ts'
import { stytchAuth, type AuthEnv } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
const spans = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch?.close())

describe('the cache tier of an authentication span', () => {
  it("is 'miss' on every span after a cache miss: a 200, a 401 from Stytch, a 401 decided locally, a 503", async () => {
    spans.reset()
    const app = new Hono<AuthEnv>()
    app.use(
      '*',
      stytchAuth({
        projectId: stytch.projectId,
        secret: stytch.secret,
        baseUrl: stytch.url,
        prefix: `tiers_${randomBytes(4).toString('hex')}`,
        telemetry: { tracerProvider },
        logger: captureLogger(),
        timeoutMs: 500,
        maxRetries: 0,
      })
    )
    app.get('/me', (c) => c.text(c.var.auth.memberId))
    const { sessionToken, sessionJwt } = await stytch.emulator.seed()
    const [header, payload] = sessionJwt.split('.')
    const other = await stytch.emulator.seed()
    const cases: [what: string, token: string, status: number, stytchDown?: boolean][] = [
      ['a session token Stytch accepts', sessionToken, 200],
      ['a session token Stytch never issued', randomBytes(33).toString('base64url'), 401],
      ['a session JWT with a forged signature', `${header}.${payload}.${'A'.repeat(342)}`, 401],
      ['a session token while Stytch answers 500', other.sessionToken, 503, true],
    ]
    const answered: [string, number][] = []
    for (const [what, token, , stytchDown] of cases) {
      const down =
        stytchDown &&
        stytch.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'authenticate' })
      try {
        answered.push([what, (await app.request('/me', bearer(token))).status])
      } finally {
        if (down) down.remove()
      }
    }
    expect(answered).toEqual(cases.map(([what, , status]) => [what, status]))

    const tiers = spans
      .getFinishedSpans()
      .filter((span) => span.name === 'ayz_auth.authenticate')
      .map((span, at) => [answered[at]?.[0], span.attributes['ayz_auth.cache_tier']])
    expect(tiers).toEqual(answered.map(([what]) => [what, 'miss']))
  })
})
