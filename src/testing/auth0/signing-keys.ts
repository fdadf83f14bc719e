/**
 * @module
 * The Auth0 emulator's signing keys, rotated and revoked as a tenant's are.
 */
import { base64url, exportJWK, generateKeyPair, type JWK } from 'jose'
import { selfSignedCertificate } from './self-signed-certificate.ts'

/**
 * One RS256 key of the emulated tenant: the private half signs, the public half is published as
 * Auth0 publishes it (`kty`, `use`, `alg`, `kid`, `n`, `e`, `x5t`, `x5c`).
 *
 * @example
 * const { kid, privateKey } = await emulator.signingKey('current')
 * await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey)
 */
export interface Auth0SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly publicJwk: JWK
}

/**
 * Which key signs a token: the one in use, the one published to be used next, the one in use
 * before the last rotation (published until revoked), or one that was never published.
 *
 * @example
 * await emulator.mintUserToken({ key: 'previous' })
 */
export type Auth0KeyChoice = 'current' | 'next' | 'previous' | 'unpublished'

interface KeyState {
  readonly current: Auth0SigningKey
  readonly next: Auth0SigningKey
  readonly previous?: { readonly key: Auth0SigningKey; readonly revoked: boolean }
}

/** The subject and issuer of every key's certificate. */
const CERTIFICATE_NAME = 'ayz-auth Auth0 emulator'

/**
 * A tenant's keys. As in Auth0, the JWKS always holds the current and the next key, plus the
 * previous one until it is revoked; a rotation makes the next key current and publishes a new
 * next one. The emulator keeps one previous key: rotating again unpublishes the older one. Key
 * generation is asynchronous, so every change is queued behind the one before it.
 *
 * @example
 * const keys = new Auth0SigningKeys()
 * await keys.rotate()
 * ;(await keys.jwks()).length // 3: current, next, previous
 */
export class Auth0SigningKeys {
  #state: Promise<KeyState> = Promise.all([newSigningKey(), newSigningKey()]).then(
    ([current, next]) => ({ current, next })
  )
  #unpublished: Promise<Auth0SigningKey> | undefined

  /** The key of `choice`; throws for `'previous'` before the first rotation. */
  async key(choice: Auth0KeyChoice): Promise<Auth0SigningKey> {
    if (choice === 'unpublished') return (this.#unpublished ??= newSigningKey())
    const state = await this.#state
    if (choice !== 'previous') return state[choice]
    if (!state.previous) throw new Error('There is no previous key: rotateKeys() first')
    return state.previous.key
  }

  /** The public keys, as served at `/.well-known/jwks.json`. */
  async jwks(): Promise<JWK[]> {
    const { current, next, previous } = await this.#state
    const published =
      previous && !previous.revoked ? [current, next, previous.key] : [current, next]
    return published.map((key) => structuredClone(key.publicJwk))
  }

  /** The next key signs from now on; a new next key is published; the current one becomes previous. */
  async rotate(): Promise<void> {
    this.#state = this.#state.then(async ({ current, next }) => ({
      current: next,
      next: await newSigningKey(),
      previous: { key: current, revoked: false },
    }))
    await this.#state
  }

  /** Unpublishes the previous key: tokens it signed stop verifying. Throws when there is none. */
  async revokePrevious(): Promise<void> {
    const before = this.#state
    const after = before.then((state) => {
      if (!state.previous || state.previous.revoked) {
        throw new Error('There is no previous key to revoke: rotateKeys() first')
      }
      return { ...state, previous: { key: state.previous.key, revoked: true } }
    })
    // A refused revocation leaves the keys as they were.
    this.#state = after.catch(() => before)
    await after
  }
}

async function newSigningKey(): Promise<Auth0SigningKey> {
  const pair = await generateKeyPair('RS256')
  const { n, e } = await exportJWK(pair.publicKey)
  const certificate = await selfSignedCertificate(pair, CERTIFICATE_NAME)
  const kid = base64url.encode(crypto.getRandomValues(new Uint8Array(16)))
  const publicJwk: JWK = {
    kty: 'RSA',
    use: 'sig',
    alg: 'RS256',
    kid,
    n,
    e,
    x5t: base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-1', certificate))),
    x5c: [btoa(String.fromCharCode(...certificate))],
  }
  return { kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk }
}
