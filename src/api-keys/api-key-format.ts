/**
 * @module
 * The shape of an organization API key: `ak_live_` or `ak_test_`, 32 base62 random characters
 * (190.5 bits), then 6 base62 characters holding the CRC32 of everything before them. The prefix
 * types a credential before anything else; the checksum rejects a typo, a truncated key or a
 * look-alike without a store read; the environment marker keeps a test key off a live project.
 * At rest a key is only its SHA-256 (hex) and its first 12 characters.
 */
import { digestOf } from '../cache/digest.ts'

/** The project environment a key belongs to (Stytch's `test` or `live`). */
export type ApiKeyEnvironment = 'test' | 'live'

/** Why a candidate is not a key of this environment, for a 401 `token_extraction`. */
export type ApiKeyFailure = 'shape' | 'checksum' | 'environment'

/** The outcome of {@link checkApiKey}: a message safe to send, naming nothing stored. */
export type ApiKeyCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: ApiKeyFailure; readonly message: string }

/**
 * Characters of a key kept in clear at rest (`ak_live_` and 4 random characters).
 *
 * @example
 * ```ts
 * key.slice(0, API_KEY_START_LENGTH) // 'ak_live_7Gq2'
 * ```
 */
export const API_KEY_START_LENGTH = 12

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_LENGTH = 32
const CHECKSUM_LENGTH = 6
/** Bytes below this (248, a multiple of 62) map evenly onto base62; the others are redrawn. */
const UNBIASED_BYTES = 256 - (256 % BASE62.length)
const KEY_SHAPE = /^ak_(test|live)_[0-9A-Za-z]{38}$/
/** Where the environment marker sits in `ak_live_`. */
const ENVIRONMENT_AT = [3, 7] as const

const FAILURES: Record<ApiKeyFailure, (environment: ApiKeyEnvironment) => string> = {
  shape: () => 'The API key is malformed',
  checksum: () => 'The API key is not valid: check that it was copied whole',
  environment: (environment) => `The API key is not a ${environment} key`,
}

/**
 * A Stytch session token's length (base64url of 33 random bytes): one in 262,144 begins with `ak_`,
 * so a token of this length is never typed as a key (a key has 46 characters).
 */
const SESSION_TOKEN_LENGTH = 44

/**
 * Whether `token` is typed as an API key: it starts with `ak_`, holds no dot (a JWT always does)
 * and is not of a Stytch session token's length. Says nothing of its validity: {@link checkApiKey}
 * does.
 *
 * @example
 * ```ts
 * looksLikeApiKey('ak_live_…')   // true
 * looksLikeApiKey('eyJhbGc.x.y') // false
 * ```
 */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('ak_') && !token.includes('.') && token.length !== SESSION_TOKEN_LENGTH
}

/**
 * A new key of `environment`, from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * const key = generateApiKey('live') // 'ak_live_' + 32 random + 6 checksum characters
 * ```
 */
export function generateApiKey(environment: ApiKeyEnvironment): string {
  const random: string[] = []
  while (random.length < RANDOM_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(RANDOM_LENGTH))) {
      if (byte < UNBIASED_BYTES) random.push(BASE62.charAt(byte % BASE62.length))
    }
  }
  const body = `ak_${environment}_${random.slice(0, RANDOM_LENGTH).join('')}`
  return body + checksumOf(body)
}

/**
 * Whether `candidate` is a well-formed key of `environment`: its shape, then its checksum, then its
 * environment (a genuine key of the other environment is named as such). Costs no store read.
 *
 * @example
 * ```ts
 * const check = checkApiKey(token, 'live')
 * if (!check.ok) throw new AuthError('token_extraction', check.message)
 * ```
 */
export function checkApiKey(candidate: string, environment: ApiKeyEnvironment): ApiKeyCheck {
  const failure: ApiKeyFailure | undefined = !KEY_SHAPE.test(candidate)
    ? 'shape'
    : checksumOf(candidate.slice(0, -CHECKSUM_LENGTH)) !== candidate.slice(-CHECKSUM_LENGTH)
      ? 'checksum'
      : candidate.slice(...ENVIRONMENT_AT) !== environment
        ? 'environment'
        : undefined
  return failure === undefined
    ? { ok: true }
    : { ok: false, reason: failure, message: FAILURES[failure](environment) }
}

/**
 * What a key is stored under: the lowercase hex SHA-256 of the whole key.
 *
 * @example
 * ```ts
 * await store.findByHash(await hashOfApiKey(key))
 * ```
 */
export function hashOfApiKey(key: string): Promise<string> {
  return digestOf(key)
}

/**
 * The part of a key kept in clear, to tell keys apart in lists: its first
 * {@link API_KEY_START_LENGTH} characters.
 *
 * @example
 * ```ts
 * startOfApiKey('ak_live_7Gq2…') // 'ak_live_7Gq2'
 * ```
 */
export function startOfApiKey(key: string): string {
  return key.slice(0, API_KEY_START_LENGTH)
}

/** The CRC32 (IEEE, as zlib's) of ASCII `text`, as 6 base62 characters padded with `0`. */
function checksumOf(text: string): string {
  let crc = 0xffffffff
  for (let at = 0; at < text.length; at++) {
    crc ^= text.charCodeAt(at)
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  let value = (crc ^ 0xffffffff) >>> 0
  let encoded = ''
  for (let digit = 0; digit < CHECKSUM_LENGTH; digit++) {
    encoded = BASE62.charAt(value % BASE62.length) + encoded
    value = Math.floor(value / BASE62.length)
  }
  return encoded
}
