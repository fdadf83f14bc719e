/**
 * @module
 * A self-signed X.509 certificate for an RSA key, DER-encoded, as Auth0 publishes one per key in
 * its JWKS (`x5c`, `x5t`). Only the encoding is written here; the signature is Web Crypto's.
 */

/** `sha256WithRSAEncryption` (1.2.840.113549.1.1.11) with NULL parameters. */
const SHA256_WITH_RSA = der(
  0x30,
  bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
  bytes(0x05, 0x00)
)
/** `commonName` (2.5.4.3). */
const COMMON_NAME = bytes(0x06, 0x03, 0x55, 0x04, 0x03)
/** `[0] { INTEGER 2 }`: an X.509 v3 certificate. */
const VERSION_3 = bytes(0xa0, 0x03, 0x02, 0x01, 0x02)
const YEAR_MS = 365 * 86_400_000

/**
 * A DER certificate for `keys` (an RS256 pair), issued by and to `commonName`, valid from a day
 * before `now` for five years, signed with its own private key.
 *
 * @example
 * ```ts
 * const keys = await generateKeyPair('RS256')
 * const certificate = await selfSignedCertificate(keys, 'tenant.auth0.com')
 * const x5c = [btoa(String.fromCharCode(...certificate))]
 * ```
 */
export async function selfSignedCertificate(
  keys: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey },
  commonName: string,
  now: number = Date.now()
): Promise<Uint8Array<ArrayBuffer>> {
  const name = der(
    0x30,
    der(0x31, der(0x30, COMMON_NAME, der(0x0c, new TextEncoder().encode(commonName))))
  )
  const serial = crypto.getRandomValues(new Uint8Array(16))
  serial[0] = (serial[0]! & 0x7f) | 0x01 // positive and minimal: no leading zero byte needed
  const validity = der(0x30, utcTime(now - 86_400_000), utcTime(now + 5 * YEAR_MS))
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey))
  const tbs = der(
    0x30,
    VERSION_3,
    der(0x02, serial),
    SHA256_WITH_RSA,
    name,
    validity,
    name,
    publicKey
  )
  const signature = new Uint8Array(
    await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, tbs)
  )
  return der(0x30, tbs, SHA256_WITH_RSA, der(0x03, bytes(0x00), signature))
}

/** A DER element: tag, definite length, contents. */
function der(tag: number, ...contents: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concat(contents)
  const size = bigEndian(body.length)
  const length = body.length < 0x80 ? bytes(body.length) : bytes(0x80 | size.length, ...size)
  return concat([bytes(tag), length, body])
}

/** `UTCTime` (`YYMMDDHHMMSSZ`), valid for years before 2050. */
function utcTime(ms: number): Uint8Array<ArrayBuffer> {
  const text = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
  return der(0x17, new TextEncoder().encode(text))
}

function bigEndian(value: number): number[] {
  const out: number[] = []
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) out.unshift(rest % 256)
  return out
}

function bytes(...values: number[]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(values)
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
