import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { testId } from './ids.ts'

/**
 * One RS256 key of the emulated project: the private half signs session JWTs, the public half is
 * served in the JWKS under `kid`.
 *
 * @example
 * const { kid, privateKey } = await emulator.signingKeys()
 * await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey)
 */
export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly publicJwk: JWK
}

interface Keys {
  readonly current: SigningKey
  readonly previous?: SigningKey
}

/**
 * The project's signing keys. Like Stytch's rotation, a new key becomes the signing key while the
 * previous one stays in the JWKS until it is dropped. Key generation is asynchronous, so every
 * operation is queued behind the one before it.
 *
 * @example
 * const keys = new KeyRing()
 * await keys.rotate()
 * ;(await keys.jwks()).length // 2
 */
export class KeyRing {
  #keys: Promise<Keys> = generateSigningKey().then((current) => ({ current }))

  /** The key that signs new JWTs. */
  async current(): Promise<SigningKey> {
    return (await this.#keys).current
  }

  /** The key published under `kid`, if it is still in the JWKS. */
  async find(kid: string): Promise<SigningKey | undefined> {
    const { current, previous } = await this.#keys
    return [current, previous].find((key) => key?.kid === kid)
  }

  /** The public keys, as served at `/v1/b2b/sessions/jwks/:project_id`. */
  async jwks(): Promise<JWK[]> {
    const { current, previous } = await this.#keys
    return previous ? [current.publicJwk, previous.publicJwk] : [current.publicJwk]
  }

  /** Makes a new key the signing key; the current one stays published as the previous key. */
  async rotate(): Promise<void> {
    this.#keys = this.#keys.then(async ({ current }) => ({
      current: await generateSigningKey(),
      previous: current,
    }))
    await this.#keys
  }

  /** Unpublishes the previous key: JWTs it signed no longer verify. */
  dropPrevious(): void {
    this.#keys = this.#keys.then(({ current }) => ({ current }))
  }
}

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const kid = testId('jwk')
  const jwk = await exportJWK(publicKey)
  const publicJwk = { ...jwk, alg: 'RS256', use: 'sig', key_ops: ['verify'], kid }
  return { kid, privateKey, publicKey, publicJwk }
}
