import { describe, expect, it } from 'vitest'
import {
  DEFAULT_EXTRACTION_RULES,
  extractAllTokens,
  extractToken,
} from '../../src/credential/extract-credential.ts'

const TOKEN = 'mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q'
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZW1iZXIifQ.c2lnbmF0dXJl'

function headers(entries: [string, string][]): Headers {
  const result = new Headers()
  for (const [name, value] of entries) result.append(name, value)
  return result
}

describe('extractToken', () => {
  it('reads a Bearer token, scheme case-insensitive, and tells a JWT from a session token', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(extractToken(headers([['authorization', `${scheme} ${TOKEN}`]]))).toEqual({
        ok: true,
        token: TOKEN,
        kind: 'session_token',
      })
    }
    expect(extractToken(headers([['authorization', `Bearer ${JWT}`]]))).toEqual({
      ok: true,
      token: JWT,
      kind: 'session_jwt',
    })
  })

  it('falls back to the stytch_session cookie, then the stytch_session_jwt cookie', () => {
    expect(
      extractToken(headers([['cookie', `a=1; stytch_session=${TOKEN}; stytch_session_jwt=${JWT}`]]))
    ).toMatchObject({ token: TOKEN, kind: 'session_token' })
    expect(extractToken(headers([['cookie', `stytch_session_jwt=${JWT}`]]))).toMatchObject({
      token: JWT,
      kind: 'session_jwt',
    })
  })

  it('prefers the header over cookies, and honours tokenFrom order and cookie names', () => {
    const both = headers([
      ['authorization', `Bearer ${TOKEN}`],
      ['cookie', `sess=${JWT}`],
    ])
    expect(extractToken(both)).toMatchObject({ token: TOKEN })
    const cookieFirst = {
      tokenFrom: ['cookie', 'header'] as const,
      cookieNames: { session: 'sess', jwt: 'jwt' },
    }
    expect(extractToken(both, cookieFirst)).toMatchObject({ token: JWT, kind: 'session_jwt' })
  })

  it('reports a missing token as missing', () => {
    expect(extractToken(new Headers())).toEqual({
      ok: false,
      missing: true,
      message: 'Authorization header is required',
    })
  })

  it.each([
    ['Basic dXNlcjpwYXNz', "Authorization header must be in format: 'Bearer <token>'"],
    ['Bearer', 'Token cannot be empty'],
    ['Bearer    ', 'Token cannot be empty'],
    [`Bearer ${TOKEN}, Bearer ${TOKEN}`, 'Multiple Authorization headers are not allowed'],
    [`Bearer ${TOKEN} extra`, 'Token format appears invalid'],
    [`Bearer ${'a'.repeat(5000)}`, 'Authorization header is too large'],
    ['Bearer ünïcödé', 'Token format appears invalid'],
  ])('rejects %j', (value, message) => {
    expect(extractToken(headers([['authorization', value]]))).toEqual({
      ok: false,
      missing: false,
      message,
    })
  })

  it('rejects several Authorization headers', () => {
    const two = headers([
      ['authorization', `Bearer ${TOKEN}`],
      ['authorization', `Bearer ${TOKEN}`],
    ])
    expect(extractToken(two)).toMatchObject({
      ok: false,
      message: 'Multiple Authorization headers are not allowed',
    })
  })

  it('accepts a header of exactly 4096 bytes and rejects 4097', () => {
    const at = (length: number) =>
      headers([['authorization', `Bearer ${'a'.repeat(length - 'Bearer '.length)}`]])
    expect(extractToken(at(4096)).ok).toBe(true)
    expect(extractToken(at(4097))).toMatchObject({
      ok: false,
      message: 'Authorization header is too large',
    })
  })

  it('accepts long JWTs (over 1365 characters, under 4 KiB)', () => {
    const long = `eyJhbGciOiJSUzI1NiJ9.${'e'.repeat(2500)}.c2ln`
    expect(extractToken(headers([['authorization', `Bearer ${long}`]]))).toMatchObject({
      ok: true,
      kind: 'session_jwt',
    })
  })

  it('rejects control characters in a cookie', () => {
    expect(extractToken(headers([['cookie', 'stytch_session=abc%00def']]))).toMatchObject({
      ok: false,
      message: 'Invalid stytch_session cookie: Token contains control characters',
    })
  })

  it('lists every well-formed token for logout', () => {
    const all = headers([
      ['authorization', `Bearer ${TOKEN}`],
      ['cookie', `stytch_session=${TOKEN}x; stytch_session_jwt=${JWT}`],
    ])
    expect(extractAllTokens(all, DEFAULT_EXTRACTION_RULES).map((found) => found.kind)).toEqual([
      'session_token',
      'session_token',
      'session_jwt',
    ])
  })
})
