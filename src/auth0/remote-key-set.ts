/**
 * @module
 * A JSON Web Key Set fetched from a URL and kept in memory, for `jwtVerify`: one owner for the
 * cached keys, the cooldown between fetches and the fetch in flight. It differs from jose's
 * `createRemoteJWKSet` where an outage is concerned: a failed fetch never throws away the keys
 * already known (jose's resolver rejects whenever the refresh it awaits fails, cached keys or not),
 * and an unknown `kid` costs at most one fetch per 5 s (jose: 30 s by default).
 */
import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from 'jose'
import * as v from 'valibot'

/**
 * How to reach a key set.
 *
 * @example
 * const options: RemoteKeySetOptions = { url: 'https://tenant.auth0.com/.well-known/jwks.json', timeoutMs: 5000 }
 */
export interface RemoteKeySetOptions {
  /** The JWKS URL, fetched directly (no discovery document). */
  readonly url: URL | string
  /** How long one fetch may take, response body included, in ms. */
  readonly timeoutMs: number
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch
}

/** Shortest time between the end of one fetch and the start of the next (the first is never held back). */
const REFETCH_INTERVAL_MS = 5_000
/** Age after which the keys are fetched again before use (Auth0 advises caching 5 to 10 minutes). */
const MAX_AGE_MS = 600_000
/** The code of the error {@link RemoteKeySet.keyFor} throws when no key has ever been fetched. */
const UNAVAILABLE_CODE = 'ERR_JWKS_UNAVAILABLE'

/** The shape checked before jose reads the keys (jose checks each key when it is used). */
const JsonWebKeySet = v.looseObject({ keys: v.array(v.looseObject({ kty: v.string() })) })

/** No key set has been fetched yet, and the last attempt failed (its error is the `cause`). */
class KeySetUnavailable extends errors.JOSEError {
  static override code = UNAVAILABLE_CODE
  override code = UNAVAILABLE_CODE
}

/**
 * The keys published at a JWKS URL. {@link keyFor} is the key-resolving function `jwtVerify`
 * takes:
 *
 * - the first use fetches the set; any number of concurrent uses share that one fetch;
 * - a `kid` the set lacks refetches it, at most once per 5 s however many tokens carry one (the
 *   others wait for the fetch in flight, or are answered from memory);
 * - keys older than 10 minutes are fetched again before use;
 * - a failed fetch keeps the keys already known, which go on verifying; it is tried again after
 *   5 s. Only while no key has ever been fetched does {@link keyFor} reject as unavailable (see
 *   {@link RemoteKeySet.isUnavailable}); otherwise it rejects with jose's errors
 *   (`ERR_JWKS_NO_MATCHING_KEY` for an unknown `kid`).
 *
 * On Cloudflare Workers a fetch in flight is not shared between requests, as in jose: a request
 * cannot await I/O another request started.
 *
 * @example
 * ```ts
 * const keys = new RemoteKeySet({ url: 'https://tenant.auth0.com/.well-known/jwks.json', timeoutMs: 5000 })
 * try {
 *   const { payload } = await jwtVerify(token, keys.keyFor, { algorithms: ['RS256'] })
 * } catch (error) {
 *   if (RemoteKeySet.isUnavailable(error)) return serviceUnavailable()
 *   return unauthorized()
 * }
 * ```
 */
export class RemoteKeySet {
  readonly #url: string
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch | undefined
  /** The keys of the last successful fetch. */
  #keys: LocalJWKSet | undefined
  #fetchedAt = Number.NEGATIVE_INFINITY
  /** When the last fetch ended, successful or not: the start of the cooldown. */
  #settledAt = Number.NEGATIVE_INFINITY
  #lastFailure: unknown
  #pending: Promise<void> | undefined

  constructor(options: RemoteKeySetOptions) {
    this.#url = new URL(options.url).href
    this.#timeoutMs = options.timeoutMs
    this.#fetch = options.fetch
  }

  /**
   * Whether an error of {@link keyFor} (or of `jwtVerify` using it) means that no key could be
   * fetched at all, rather than that the token is bad.
   *
   * @example
   * ```ts
   * if (RemoteKeySet.isUnavailable(error)) return { status: 'unavailable', cause: error.cause }
   * ```
   */
  static isUnavailable(error: unknown): error is Error {
    return error instanceof KeySetUnavailable
  }

  /**
   * The key that verifies a token with this protected header: jose's choice among the fetched
   * keys (by `kid`, `alg`, `kty` and `use`). Pass it as `jwtVerify`'s key.
   *
   * @example
   * ```ts
   * await jwtVerify(token, keys.keyFor, { issuer, audience, algorithms: ['RS256'] })
   * ```
   */
  readonly keyFor = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput
  ): Promise<CryptoKey> => {
    if (this.#keys === undefined || this.#isStale()) await this.#refresh()
    const keys = this.#keys
    if (keys === undefined) {
      throw new KeySetUnavailable('The JSON Web Key Set could not be fetched', {
        cause: this.#lastFailure,
      })
    }
    try {
      return await keys(header, token)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.#mayRefetch()) throw error
      await this.#refresh()
      const refreshed = this.#keys
      // Only a successful fetch replaces the keys: still the same ones means it failed.
      if (refreshed === keys || refreshed === undefined) throw error
      return refreshed(header, token)
    }
  }

  #isStale(): boolean {
    return Date.now() >= this.#fetchedAt + MAX_AGE_MS
  }

  /** Whether a fetch is in flight to wait for, or may start now. */
  #mayRefetch(): boolean {
    return this.#pending !== undefined || Date.now() >= this.#settledAt + REFETCH_INTERVAL_MS
  }

  /** Waits for the fetch in flight, else starts one unless cooling down. Never rejects. */
  #refresh(): Promise<void> {
    if (this.#pending !== undefined && !isCloudflareWorkers()) return this.#pending
    if (Date.now() < this.#settledAt + REFETCH_INTERVAL_MS) return Promise.resolve()
    const pending = this.#download().finally(() => {
      this.#settledAt = Date.now()
      if (this.#pending === pending) this.#pending = undefined
    })
    this.#pending = pending
    return pending
  }

  async #download(): Promise<void> {
    try {
      // Called without a receiver: some runtimes' `fetch` refuses any `this` but the global one.
      const response = await (this.#fetch ?? fetch)(this.#url, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      if (response.status !== 200) {
        await response.body?.cancel()
        throw new errors.JOSEError(`The JWKS answered HTTP ${response.status}`)
      }
      const parsed = v.safeParse(JsonWebKeySet, await response.json())
      if (!parsed.success) throw new errors.JWKSInvalid('The JWKS response is not a key set')
      this.#keys = createLocalJWKSet(parsed.output)
      this.#fetchedAt = Date.now()
    } catch (error) {
      this.#lastFailure = error
    }
  }
}

/** Cloudflare Workers, where an I/O promise must not be awaited by another request (as jose tells it). */
function isCloudflareWorkers(): boolean {
  return typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers'
}
