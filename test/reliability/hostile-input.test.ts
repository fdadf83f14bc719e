/**
 * Property-based fuzzing of the `Authorization` and `Cookie` headers, built from hostile fragments
 * around real credentials: whatever arrives, the answer is a 200 for exactly the session of a
 * credential the request carried, or a 401 (optional routes: `null`); never a 5xx, never another
 * member.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatedSession } from '../../src/testing/index.ts'
import { HandlerLedger } from './ledger.ts'
import { sendable } from '../integration/harness.ts'
import { bearer, captureLogger, recordingApp, uniquePrefix } from './recording-app.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, type World } from './world.ts'

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World
let app: ReturnType<typeof recordingApp>
let cookieOnly: ReturnType<typeof recordingApp>
let live: EmulatedSession[]
let revoked: EmulatedSession
beforeAll(async () => {
  world = await startWorld()
  const options = {
    ...world.stytchOptions(),
    logger: captureLogger(),
    maxVerificationsPerSecond: 100_000,
  }
  app = recordingApp({ ...options, prefix: uniquePrefix('hostile') }, ledger)
  cookieOnly = recordingApp(
    { ...options, prefix: uniquePrefix('hostile-cookie-only'), tokenFrom: ['cookie'] },
    ledger
  )
  live = await Promise.all([world.session(ledger), world.session(ledger)])
  // Its token is not in the ledger: a handler seeing it is a violation. Its JWT is: a session JWT
  // verifies locally until its exp (at most 5 minutes) even after a revocation, as Stytch's own do.
  revoked = await world.stytch.emulator.seed()
  world.stytch.emulator.revokeSession(revoked.session.member_session_id)
  ledger.alias(revoked.sessionJwt, revoked)
})
afterAll(async () => {
  expect(ledger.violations()).toEqual([])
  await world?.close()
})

/** A real credential (live or revoked; token or JWT), possibly damaged. */
const credential = fc
  .tuple(
    fc.nat(2),
    fc.boolean(),
    fc.constantFrom('as-is', 'prefix', 'suffix', 'truncated', 'case-flipped', 'doubled')
  )
  .map(([index, jwt, damage]) => {
    const session = index < live.length ? live[index]! : revoked
    const value = jwt ? session.sessionJwt : session.sessionToken
    switch (damage) {
      case 'as-is':
        return value
      case 'prefix':
        return `x${value}`
      case 'suffix':
        return `${value}=`
      case 'truncated':
        return value.slice(0, -1)
      case 'case-flipped':
        return value.replace(/[a-z]/, (char) => char.toUpperCase())
      case 'doubled':
        return `${value}${value}`
    }
  })

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.base64String({ minLength: 20, maxLength: 60 }),
  fc.constantFrom(
    'Bearer',
    'bearer',
    'BEARER',
    'Basic',
    'Token',
    'Bearer:',
    'null',
    'undefined',
    '%00',
    '\\u0000'
  )
)
const separator = fc.constantFrom(' ', '  ', ',', ', ', ';', '\t', '=', '')

/** A header value: fragments (credentials, junk) joined by separators. */
const fragments = fc
  .array(fc.tuple(fc.oneof(credential, junk), separator), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.map(([part, sep]) => `${part}${sep}`).join(''))

const authorization = fc.oneof(
  credential.map((value) => `Bearer ${value}`),
  fragments.map((value) => `Bearer ${value}`),
  fragments
)

const cookieName = fc.constantFrom(
  'stytch_session',
  'stytch_session_jwt',
  'STYTCH_SESSION',
  'stytch_session ',
  'other',
  ''
)
const cookieValue = fc.oneof(
  credential,
  credential.map((value) => `"${value}"`),
  credential.map((value) =>
    encodeURIComponent(value).replace(/[A-Za-z]/, (char) => `%${char.charCodeAt(0).toString(16)}`)
  ),
  junk
)
const cookie = fc
  .array(fc.tuple(cookieName, cookieValue), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; '))

describe('fuzzed headers around real credentials', () => {
  it('Authorization: 200 only for the session of a credential the request carried, else 401; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(authorization.filter(sendable), async (value) => {
        const res = await app.request('/api/me', { headers: { authorization: value } })
        expect([200, 401]).toContain(res.status)
        const optional = await app.request('/optional/me', { headers: { authorization: value } })
        expect(optional.status).toBe(200)
      }),
      { numRuns: 800 }
    )
    expect(ledger.violations()).toEqual([])
  })

  it('Cookie: likewise, whatever the names, quoting, encoding and repetition', async () => {
    await fc.assert(
      fc.asyncProperty(cookie.filter(sendable), async (value) => {
        const res = await app.request('/api/me', { headers: { cookie: value } })
        expect([200, 401]).toContain(res.status)
        const optional = await app.request('/optional/me', { headers: { cookie: value } })
        expect(optional.status).toBe(200)
      }),
      { numRuns: 800 }
    )
    expect(ledger.violations()).toEqual([])
  })

  it('both at once: a bad Bearer header is never rescued by a valid cookie; another scheme is not ours', async () => {
    await fc.assert(
      fc.asyncProperty(authorization.filter(sendable), async (value) => {
        const valid = live[0]!.sessionToken
        const res = await app.request('/api/me', {
          headers: { authorization: value, cookie: `stytch_session=${valid}` },
        })
        const alone = await app.request('/api/me', { headers: { authorization: value } })
        // A proxy's `Authorization: Basic …` says nothing about the session: the cookie answers.
        const bearerScheme = /^\s*bearer(\s|$)/i.test(value)
        expect(res.status).toBe(bearerScheme ? alone.status : 200)
      }),
      { numRuns: 300 }
    )
    expect(ledger.violations()).toEqual([])
  })

  it('a source the app did not configure is never read: with tokenFrom cookie, a valid bearer token is a 401', async () => {
    const res = await cookieOnly.request('/api/me', bearer(live[0]!.sessionToken))
    expect(res.status).toBe(401)
    const viaCookie = await cookieOnly.request('/api/me', {
      headers: { cookie: `stytch_session=${live[0]!.sessionToken}` },
    })
    expect(viaCookie.status).toBe(200)
  })

  it('control: each live credential, sent plainly, is accepted (so the properties above are not vacuous)', async () => {
    for (const session of live) {
      for (const value of [session.sessionToken, session.sessionJwt]) {
        expect((await app.request('/api/me', bearer(value))).status).toBe(200)
        expect(
          (await app.request('/api/me', { headers: { cookie: `stytch_session=${value}` } })).status
        ).toBe(200)
      }
    }
    expect((await app.request('/api/me', bearer(revoked.sessionToken))).status).toBe(401)
  })
})
