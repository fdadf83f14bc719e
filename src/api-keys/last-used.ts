/**
 * @module
 * `last_used_at` without a write per request: at most one write a minute per key and instance,
 * sent off the request path, its failure logged and forgotten. The memory of what was written is
 * the project's (every `stytchAuth()`, guard and revoker of the project in the process shares it),
 * so an app of several mounts still writes once.
 */
import type { LocalTier } from '../cache/local-tier.ts'
import type { Logger } from '../log/logger.ts'
import { describeError } from '../log/describe-error.ts'
import type { ApiKeyStore } from './api-key-store.ts'

/** How often a key's `last_used_at` is written, at most, by one instance. */
const WRITE_EVERY_MS = 60_000

/**
 * Records the use of keys in their store, debounced.
 *
 * @example
 * ```ts
 * const lastUsed = new LastUsed(store, logger, 1000, project.tier('api-key-last-used'))
 * lastUsed.touch(record.id) // a write now, then none for this key for a minute
 * ```
 */
export class LastUsed {
  constructor(
    readonly store: ApiKeyStore,
    readonly logger: Logger,
    /** Bounds a write: the store's timeout. */
    readonly timeoutMs: number,
    /**
     * Keys written within the last minute: the project's, shared by its runtimes (a key forgotten
     * when the tier is full is written once more, no harm).
     */
    readonly written: LocalTier<true>
  ) {}

  /** Notes that key `id` was used now; writes it unless written within the last minute. */
  touch(id: string, now: Date = new Date()): void {
    if (this.written.get(id, now.getTime())) return
    this.written.set(id, true, WRITE_EVERY_MS, now.getTime())
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
