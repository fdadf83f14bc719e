import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { appWith, captureLogger, sendable, type Seen } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

/** Header values a client could send: printable ASCII, unicode, huge, repeated schemes. */
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({
    unit: fc.constantFrom('a', 'B', '-', '_', '.', '=', ' ', ',', '+', '/'),
    minLength: 1,
    maxLength: 6000,
  }),
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer Bearer', ''),
      fc.string({ maxLength: 120 })
    )
    .map(([scheme, rest]) => `${scheme} ${rest}`),
  fc
    .array(fc.base64String({ minLength: 20, maxLength: 60 }), { minLength: 1, maxLength: 4 })
    .map((tokens) => tokens.map((token) => `Bearer ${token}`).join(', ')),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => String.fromCharCode(...bytes))
)

describe('fuzzed Authorization and Cookie headers never produce a 5xx', () => {
  const seen: Seen = { auths: [] }
  const app = () =>
    appWith(
      {
        projectId: stytch.projectId,
        secret: stytch.secret,
        baseUrl: stytch.url,
        logger: captureLogger(),
        maxVerificationsPerSecond: 10_000,
      },
      seen
    )

  it('Authorization', async () => {
    const server = app()
    await fc.assert(
      fc.asyncProperty(headerValue.filter(sendable), async (value) => {
        const res = await server.request('/api/me', { headers: { authorization: value } })
        expect(res.status).toBeLessThan(500)
        expect([401]).toContain(res.status)
      }),
      { numRuns: 2500 }
    )
    expect(seen.auths).toEqual([])
  })

  it('Cookie', async () => {
    const server = app()
    const cookie = fc
      .tuple(fc.constantFrom('stytch_session', 'stytch_session_jwt', 'other', ''), headerValue)
      .map(([name, value]) => `${name}=${value}`)
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(cookie, { maxLength: 4 })
          .map((parts) => parts.join('; '))
          .filter(sendable),
        async (value) => {
          const res = await server.request('/api/me', { headers: { cookie: value } })
          expect(res.status).toBe(401)
          const optional = await server.request('/optional', { headers: { cookie: value } })
          expect(optional.status).toBe(200)
        }
      ),
      { numRuns: 2500 }
    )
    expect(seen.auths).toEqual([])
  })
})
