/**
 * @module
 * Integrity for values that leave the process. An entry in Redis or Upstash is sealed with an
 * HMAC-SHA-256 over its key and value, under a key derived from the project's Stytch secret, so an
 * entry written by anyone without the secret, or moved under another token's key or prefix, is
 * never trusted: it reads as a miss.
 */

/** Seals and opens cache values. */
export interface Sealer {
  /** `payload` sealed for `key`. */
  seal(key: string, payload: string): Promise<string>
  /** The payload if `sealed` was sealed for `key` with this sealer's secret, else `undefined`. */
  open(key: string, sealed: string): Promise<string | undefined>
}

const VERSION = 'v1'
const encoder = new TextEncoder()

/**
 * A {@link Sealer} keyed by a secret (the Stytch project secret: every instance of the project
 * shares it, Redis never sees it).
 *
 * @example
 * ```ts
 * const sealer = hmacSealer(secret)
 * const stored = await sealer.seal('ayz_auth:session:ab12…', json)
 * await sealer.open('ayz_auth:session:ab12…', stored) // json
 * ```
 */
export function hmacSealer(secret: string): Sealer {
  const key = deriveKey(secret)
  const tagOf = async (cacheKey: string, payload: string): Promise<string> =>
    toBase64Url(await crypto.subtle.sign('HMAC', await key, encoder.encode(`${cacheKey}\n${payload}`)))
  return {
    async seal(cacheKey, payload) {
      return `${VERSION}.${await tagOf(cacheKey, payload)}.${payload}`
    },
    async open(cacheKey, sealed) {
      const [version, tag] = sealed.split('.', 2)
      if (version !== VERSION || tag === undefined) return undefined
      const payload = sealed.slice(version.length + tag.length + 2)
      const expected = fromBase64Url(tag)
      if (!expected) return undefined
      const data = encoder.encode(`${cacheKey}\n${payload}`)
      return (await crypto.subtle.verify('HMAC', await key, expected, data)) ? payload : undefined
    },
  }
}

async function deriveKey(secret: string): Promise<CryptoKey> {
  const hmac = { name: 'HMAC', hash: 'SHA-256' }
  const root = await crypto.subtle.importKey('raw', encoder.encode(secret), hmac, false, ['sign'])
  const derived = await crypto.subtle.sign('HMAC', root, encoder.encode('ayz-auth:cache-seal:v1'))
  return crypto.subtle.importKey('raw', derived, hmac, false, ['sign', 'verify'])
}

function toBase64Url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
    return Uint8Array.from(binary, (char) => char.charCodeAt(0))
  } catch {
    return undefined
  }
}
