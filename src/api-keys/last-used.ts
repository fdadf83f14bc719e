/**
 * @module
 * `last_used_at` without a write per request: at most one write a minute per key and instance,
 * sent off the request path, its failure logged and forgotten.
 */
import { LocalTier } from '../cache/local-tier.ts'
import type { Logger } from '../log/logger.ts'
import { describeError } from '../log/describe-error.ts'
import type { ApiKeyStore } from './api-key-store.ts'

/** How often a key's `last_used_at` is written, at most, by one instance. */
const WRITE_EVERY_MS = 60_000
/** Keys whose last write is remembered (a key forgotten is written once more, no harm). */
const REMEMBERED_KEYS = 10_000

/**
 * Records the use of keys in their store, debounced.
 *
 * @example
 * ```ts
 * const lastUsed = new LastUsed(store, logger)
 * lastUsed.touch(record.id) // a write now, then none for this key for a minute
 * ```
 */
export class LastUsed {
  readonly #written = new LocalTier<true>(REMEMBERED_KEYS)

  constructor(
    readonly store: ApiKeyStore,
    readonly logger: Logger,
    /** Bounds a write: the store's timeout. */
    readonly timeoutMs: number
  ) {}

  /** Notes that key `id` was used now; writes it unless written within the last minute. */
  touch(id: string, now: Date = new Date()): void {
    if (this.#written.get(id, now.getTime())) return
    this.#written.set(id, true, WRITE_EVERY_MS, now.getTime())
    void this.store
      .touchLastUsed(id, now, AbortSignal.timeout(this.timeoutMs))
      .catch((error: unknown) =>
        this.logger.debug('last_used_at of an API key not written', {
          keyId: id,
          error: describeError(error),
        })
      )
  }
}
