import type { AuthContext } from '../context/auth-context.ts'
import { TokenVerificationError } from '../errors/auth-error.ts'
import { tokenForLog, type Logger } from '../log/logger.ts'
import type { TokenKind } from '../token/extract-token.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'
import { LruTtlMap } from './lru-ttl-map.ts'
import { sha256Hex } from './sha256.ts'
import type { TieredCache } from './tiered-cache.ts'

/** How long a token Stytch rejected is answered 401 without asking again. */
export const NEGATIVE_TTL_MS = 10_000
/** Most rejected tokens remembered; kept apart from sessions so a flood cannot evict them. */
const MAX_NEGATIVE_ENTRIES = 10_000

/** What a {@link SessionCache} is built from. */
export interface SessionCacheOptions {
  readonly tier: TieredCache<AuthContext>
  readonly verifier: SessionVerifier
  readonly prefix: string
  /** Longest a session is cached, in ms (never past the session's own expiry). */
  readonly ttlMs: number
  readonly logger: Logger
  /** Log tokens in clear (never in production); a digest prefix otherwise. */
  readonly logSensitiveData: boolean
}

/**
 * The session tier: tokens to verified sessions under `{prefix}:session:{sha256(token)}`, in front
 * of a verifier. A hit costs a synchronous hash and a lookup; a miss costs one verification however
 * many requests race for the token; a rejected token is answered from memory for a few seconds.
 *
 * @example
 * ```ts
 * const key = await sessions.keyOf(token)
 * const auth = sessions.peek(key) ?? (await sessions.verify(key, token, 'session_token'))
 * ```
 */
export class SessionCache {
  readonly #options: SessionCacheOptions
  readonly #rejected = new LruTtlMap<true>(MAX_NEGATIVE_ENTRIES)

  constructor(options: SessionCacheOptions) {
    this.#options = options
  }

  /** The cache key of a token: a string, or a promise of one where hashing is asynchronous. */
  keyOf(token: string): string | Promise<string> {
    const digest = sha256Hex(token)
    return typeof digest === 'string' ? this.#key(digest) : digest.then((hex) => this.#key(hex))
  }

  /** The session cached in process under `key` (the hot path: synchronous). */
  peek(key: string): AuthContext | undefined {
    return this.#options.tier.peek(key)
  }

  /** The session of `token` from cache, else from the verifier (rejecting with an `AuthError`). */
  verify(key: string, token: string, kind: TokenKind): Promise<AuthContext> {
    if (this.#rejected.get(key)) return Promise.reject(new TokenVerificationError())
    const { tier, verifier, ttlMs, logger, logSensitiveData } = this.#options
    return tier.getOrLoad(key, async () => {
      const ref = (): string =>
        tokenForLog(token, key.slice(key.lastIndexOf(':') + 1), logSensitiveData)
      try {
        const { auth, validUntil } = await verifier.verify(token, kind)
        logger.debug('session verified', { token: ref(), kind, memberId: auth.memberId })
        return { value: auth, ttlMs: Math.min(ttlMs, validUntil - Date.now()) }
      } catch (error) {
        if (error instanceof TokenVerificationError) {
          this.#rejected.set(key, true, NEGATIVE_TTL_MS)
          logger.debug('session rejected', { token: ref(), kind })
        }
        throw error
      }
    })
  }

  /** Forgets `token` in every tier and treats it as rejected from now on (after a revocation). */
  async forget(token: string): Promise<void> {
    const key = await this.keyOf(token)
    this.#rejected.set(key, true, NEGATIVE_TTL_MS)
    await this.#options.tier.delete(key)
  }

  #key(hex: string): string {
    return `${this.#options.prefix}:session:${hex}`
  }
}
