import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  API_KEY_START_LENGTH,
  checkApiKey,
  generateApiKey,
  hashOfApiKey,
  looksLikeApiKey,
  startOfApiKey,
} from '../../src/api-keys/api-key-format.ts'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const sample = Array.from({ length: 20 }, (_, at) => generateApiKey(at % 2 ? 'test' : 'live'))
const environmentOf = (key: string) => (key.startsWith('ak_test_') ? 'test' : 'live')
const randomPartOf = (key: string) => key.slice(8, 40)
/** Why `candidate` is refused as a key of its own environment, or `undefined` when it is accepted. */
const reasonOf = (candidate: string) => {
  const check = checkApiKey(candidate, environmentOf(candidate))
  return check.ok ? undefined : check.reason
}

/** zlib's CRC32 of what precedes the checksum, written as GitHub writes it: 6 base62 digits. */
function zlibChecksum(body: string): string {
  let value = crc32(body)
  let digits = ''
  for (let digit = 0; digit < 6; digit++) {
    digits = BASE62[value % 62] + digits
    value = Math.floor(value / 62)
  }
  return digits
}

describe('generateApiKey', () => {
  it('writes ak_live_ or ak_test_, 32 base62 characters and the base62 CRC32 of both', () => {
    for (const environment of ['live', 'test'] as const) {
      const key = generateApiKey(environment)
      expect(key).toMatch(new RegExp(`^ak_${environment}_[0-9A-Za-z]{38}$`))
      expect(key.slice(-6)).toBe(zlibChecksum(key.slice(0, -6)))
      expect(checkApiKey(key, environment)).toEqual({ ok: true })
    }
  })

  it('draws at least 190 bits: 32 characters spread evenly over all 62, without modulo bias', () => {
    const keys = Array.from({ length: 4000 }, () => generateApiKey('live'))
    expect(new Set(keys.map(randomPartOf)).size).toBe(keys.length)
    expect(32 * Math.log2(62)).toBeGreaterThanOrEqual(190)
    const counts = new Map<string, number>()
    for (const character of keys.map(randomPartOf).join(''))
      counts.set(character, (counts.get(character) ?? 0) + 1)
    expect([...counts.keys()].sort()).toEqual([...BASE62].sort())
    const expected = (keys.length * 32) / 62
    const chiSquare = [...counts.values()].reduce(
      (sum, count) => sum + (count - expected) ** 2 / expected,
      0
    )
    // 61 degrees of freedom: above 140 happens by chance less than once in a million runs.
    expect(chiSquare).toBeLessThan(140)
    // `byte % 62` without redraws would give '0'–'7' (bytes 248–255 wrap onto them) 25% more.
    const mean = (characters: string) =>
      [...characters].reduce((sum, character) => sum + (counts.get(character) ?? 0), 0) /
      characters.length
    expect(mean(BASE62.slice(0, 8)) / mean(BASE62.slice(8))).toBeLessThan(1.08)
  })
})

describe('checkApiKey', () => {
  it('catches every single-character change after the prefix as a checksum failure', () => {
    const changes = sample.flatMap((key) =>
      [...key.slice(8)].flatMap((original, offset) =>
        [...BASE62]
          .filter((replacement) => replacement !== original)
          .map((replacement) => key.slice(0, 8 + offset) + replacement + key.slice(9 + offset))
      )
    )
    expect(changes).toHaveLength(sample.length * 38 * 61)
    expect(changes.filter((changed) => reasonOf(changed) !== 'checksum')).toEqual([])
  })

  it('refuses every single-character change of the prefix', () => {
    const changes = sample.flatMap((key) =>
      [...key.slice(0, 8)].flatMap((original, at) =>
        [...`${BASE62}_-.`]
          .filter((replacement) => replacement !== original)
          .map((replacement) => key.slice(0, at) + replacement + key.slice(at + 1))
      )
    )
    expect(changes.filter((changed) => reasonOf(changed) === undefined)).toEqual([])
  })

  it('catches every transposition of two different characters after the prefix', () => {
    const transpositions = sample.flatMap((key) =>
      Array.from({ length: key.length }, (_, first) => first)
        .slice(8)
        .flatMap((first) =>
          Array.from({ length: key.length - first - 1 }, (_, offset) => first + 1 + offset)
            .filter((second) => key[first] !== key[second])
            .map((second) => {
              const swapped = [...key]
              ;[swapped[first], swapped[second]] = [key[second] ?? '', key[first] ?? '']
              return swapped.join('')
            })
        )
    )
    expect(transpositions.length).toBeGreaterThan(sample.length * 600)
    expect(transpositions.filter((swapped) => reasonOf(swapped) !== 'checksum')).toEqual([])
  })

  it('names a genuine key of the other environment as such, in a message that quotes none of it', () => {
    const testKey = generateApiKey('test')
    const check = checkApiKey(testKey, 'live')
    expect(check).toEqual({
      ok: false,
      reason: 'environment',
      message: 'The API key is not a live key',
    })
    expect(checkApiKey(generateApiKey('live'), 'test')).toMatchObject({ reason: 'environment' })
    // A test key relabelled live keeps the test checksum: a checksum failure, not a live key.
    expect(checkApiKey(testKey.replace('ak_test_', 'ak_live_'), 'live')).toMatchObject({
      reason: 'checksum',
    })
  })

  it('refuses truncated, padded and wrongly prefixed keys by their shape', () => {
    const key = generateApiKey('live')
    const body = key.slice(8)
    const malformed = [
      ...Array.from({ length: key.length }, (_, length) => key.slice(0, length)),
      `${key}a`,
      `${key}0`,
      ` ${key}`,
      `${key}\n`,
      `${key}=`,
      `Bearer ${key}`,
      `sk_live_${body}`,
      `AK_LIVE_${body}`,
      `ak_prod_${body}`,
      `ak-live-${body}`,
      `ak_live${body}`,
      `ak__live_${body}`,
      `ak_live_${body.slice(0, 20)}-${body.slice(21)}`,
      `ak_live_${body.slice(0, 20)}é${body.slice(21)}`,
    ]
    for (const candidate of malformed) {
      expect(checkApiKey(candidate, 'live')).toEqual({
        ok: false,
        reason: 'shape',
        message: 'The API key is malformed',
      })
    }
  })

  it('refuses random strings, including well-shaped ones, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (candidate) => {
        expect(checkApiKey(candidate, 'live').ok).toBe(false)
      })
    )
    const wellShaped = fc
      .array(fc.constantFrom(...BASE62), { minLength: 38, maxLength: 38 })
      .map((characters) => `ak_live_${characters.join('')}`)
    fc.assert(
      fc.property(wellShaped, (candidate) => {
        expect(checkApiKey(candidate, 'live')).toMatchObject({ ok: false, reason: 'checksum' })
      }),
      { numRuns: 5000 }
    )
  })
})

describe('looksLikeApiKey', () => {
  it('types a credential by its ak_ prefix, and never one holding a dot', () => {
    expect(looksLikeApiKey(generateApiKey('live'))).toBe(true)
    expect(looksLikeApiKey('ak_anything')).toBe(true)
    expect(looksLikeApiKey('ak_live_abc.def')).toBe(false)
    expect(looksLikeApiKey('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(false)
    expect(looksLikeApiKey('mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q')).toBe(false)
    expect(looksLikeApiKey('AK_live_x')).toBe(false)
  })

  it("leaves a token of a Stytch session token's length to Stytch, even one that starts with ak_", () => {
    // One Stytch session token in 262,144 begins with ak_: its user must still get in.
    expect(looksLikeApiKey('ak_Zq0YkVf3n9Jw-Ys2cM1uRrT8bL4hXo7eDpA5iNgW_')).toBe(false)
    expect(looksLikeApiKey(generateApiKey('live').slice(0, 44))).toBe(false)
    expect(looksLikeApiKey(generateApiKey('live').slice(0, 45))).toBe(true)
  })
})

describe('what is kept of a key at rest', () => {
  it('is the SHA-256 hex of the whole key and its first 12 characters', async () => {
    const key = generateApiKey('live')
    expect(await hashOfApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'))
    expect(startOfApiKey(key)).toBe(key.slice(0, 12))
    expect(API_KEY_START_LENGTH).toBe(12)
    expect(randomPartOf(key).startsWith(startOfApiKey(key).slice(8))).toBe(true)
  })
})
