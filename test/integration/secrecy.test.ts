import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryCache } from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { appWith, bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

describe('tokens never appear in logs, cache keys or cache values', () => {
  it('at every log level with STYTCH_LOG_SENSITIVE_DATA off', async () => {
    const logger = captureLogger()
    const cache = memoryCache()
    const app = appWith({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      cache,
      logger,
      logLevel: 'DEBUG',
      timeoutMs: 500,
      maxRetries: 1,
    })
    const tokens: string[] = []
    const send = async (token: string) => {
      tokens.push(token)
      await app.request('/api/me', bearer(token))
      await app.request('/optional', { headers: { cookie: `stytch_session=${token}` } })
    }

    const valid = await stytch.emulator.seed({ customClaims: { admin: true } })
    await send(valid.sessionToken)
    await send(valid.sessionJwt)
    await send(
      await stytch.emulator.mintSessionJwt(valid.session.member_session_id, {
        issuedAt: new Date(Date.now() - 600_000),
      })
    )
    await send('unknownTokenOfTheRightShape_secrecy_000000')
    const revoked = await stytch.emulator.seed()
    stytch.emulator.revokeSession(revoked.session.member_session_id)
    await send(revoked.sessionToken)
    const failing = await stytch.emulator.seed()
    const rule = stytch.emulator.injectFault({ kind: 'status', status: 500 })
    await send(failing.sessionToken)
    await send(failing.sessionJwt)
    rule.remove()
    await appWith({
      projectId: stytch.projectId,
      secret: 'wrong-secret',
      baseUrl: stytch.url,
      cache,
      logger,
      logLevel: 'DEBUG',
    }).request('/api/me', bearer(failing.sessionToken))

    expect(logger.lines.length).toBeGreaterThan(5)
    const stored = [...cache.entries()].map(([key, value]) => `${key} ${JSON.stringify(value)}`)
    expect(stored.length).toBeGreaterThan(0)
    for (const token of [...tokens, failing.sessionToken]) {
      for (const line of logger.lines) expect(line).not.toContain(token)
      for (const entry of stored) expect(entry).not.toContain(token)
    }
  })

  it('logs the token itself only when sensitive logging is switched on', async () => {
    const logger = captureLogger()
    const app = appWith({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      logger,
      logLevel: 'DEBUG',
      logSensitiveData: true,
    })
    const { sessionToken } = await stytch.emulator.seed()
    await app.request('/api/me', bearer(sessionToken))
    expect(logger.lines.some((line) => line.includes(sessionToken))).toBe(true)
  })
})
