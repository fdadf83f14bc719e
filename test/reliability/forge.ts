/**
 * Tools of a JWT forger: the claims of a real session JWT, keys of one's own, signing with any
 * header, and hand-assembled tokens that no library would sign.
 */
import { base64url, decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from 'jose'

/** A key pair the attacker controls. */
export interface AttackerKey {
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
}

/** A fresh RS256 key pair, unknown to Stytch. */
export async function attackerKey(): Promise<AttackerKey> {
  return generateKeyPair('RS256', { extractable: true })
}

/** The claims of a JWT (not verified). */
export function claimsOf(jwt: string): JWTPayload {
  return decodeJwt(jwt)
}

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/**
 * Signs `claims` with `key` under exactly `header` (whose `alg` must suit the key).
 *
 * @example
 * ```ts
 * await signJwt(claims, { alg: 'RS256', typ: 'JWT', kid: '../../etc/passwd' }, attacker.privateKey)
 * ```
 */
export function signJwt(
  claims: JWTPayload,
  header: { alg: string; [name: string]: unknown },
  key: CryptoKey | Uint8Array
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key)
}

/** A compact JWS assembled by hand: any header, any payload, any signature. */
export function assembleJwt(header: unknown, payload: unknown, signature = ''): string {
  return `${encodeJson(header)}.${encodeJson(payload)}.${signature}`
}

/** Base64url of JSON. */
export function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value))
}

/**
 * `jwt` with its payload replaced by `claims`, re-encoded, and its original header and signature
 * kept: a tampered token that still carries a genuine signature (of other bytes).
 *
 * @example
 * ```ts
 * tampered(m2mToken, { ...claimsOf(m2mToken), scope: 'read:*' })
 * ```
 */
export function tampered(jwt: string, claims: JWTPayload): string {
  const [header, , signature] = jwt.split('.')
  return `${header}.${encodeJson(claims)}.${signature}`
}

/** Whether two compact JWTs decode to the same bytes, segment by segment (base64url slack aside). */
export function sameBytes(a: string, b: string): boolean {
  const decode = (jwt: string) =>
    jwt.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'))
  return JSON.stringify(decode(a)) === JSON.stringify(decode(b))
}
