/**
 * @module
 * Revocations: a revoked credential is refused in this process (a mark until its verified expiry),
 * in the shared tier (its entry deleted, and a revocation kept beside it that a verification racing
 * the logout reads after its own write), and on every other instance (a sealed purge on the store's
 * channel). What the shared tier could not take is written once it answers again.
 */
import * as v from 'valibot'
import type { Logger } from '../log/logger.ts'
import type { LocalTier } from './local-tier.ts'
import type { RevocationMarks } from './revocation-marks.ts'
import { parseJson, type SharedTier } from './shared-tier.ts'

/**
 * A published purge: ids refused (`reject`) for `forMs`, or dropped from the in-process tier of
 * `shape` (default: the credentials' tier) to be read again.
 */
const Purge = v.object({
  ids: v.array(v.string()),
  reject: v.boolean(),
  forMs: v.optional(v.number()),
  shape: v.optional(v.string()),
})

/** One credential to revoke: its digest, and how long it would still be accepted (its expiry). */
export interface Revoked {
  readonly id: string
  readonly forMs: number
}

/** How a {@link Revocations} is built. */
export interface RevocationsOptions {
  /** The project's marks, shared by every runtime of the project in this process. */
  readonly marks: RevocationMarks
  /** The project's in-process tier of verified credentials, dropped on revocation. */
  readonly local: LocalTier<unknown>
  /** The project's in-process tier of another cached shape (`member`, `org`, …), by name. */
  readonly tierOf: (shape: string) => LocalTier<unknown>
  /** The cache prefix: the shared key of a cached `shape` is `{prefix}:{shape}:{id}`. */
  readonly prefix: string
  readonly shared?: SharedTier | undefined
  /** The entries' namespace in the shared tier (an entry's key is `{namespace}:{id}`). */
  readonly namespace: string
  /** The revocations' namespace in the shared tier (a revocation's key is `{revokedNamespace}:{id}`). */
  readonly revokedNamespace: string
  /** The channel revocations are published on (when the store can push). */
  readonly channel: string
  /** Shortest time a revocation is kept, whatever the credential's expiry. */
  readonly minMs: number
}

/**
 * Revokes credentials in every tier and on every instance, and applies other instances' revocations.
 *
 * @example
 * ```ts
 * await revocations.revoke([{ id: digest, forMs: 300_000 }])
 * revocations.isRevoked(digest) // true for 5 minutes
 * ```
 */
export class Revocations {
  readonly #options: RevocationsOptions
  /** Revocations the shared tier could not store yet, by id: until when. */
  readonly #unstored = new Map<string, number>()
  readonly #storeUnstored = async (): Promise<void> => {
    for (const [id, until] of [...this.#unstored]) await this.#store(id, until)
  }

  constructor(options: RevocationsOptions) {
    this.#options = options
  }

  /** The store revocations go through (`undefined`: this process alone), to revoke once per store. */
  get via(): object | undefined {
    return this.#options.shared?.store
  }

  /** Whether `id` is revoked. */
  isRevoked(id: string, now?: number): boolean {
    return this.#options.marks.has(id, now)
  }

  /** Refuses each credential everywhere for its `forMs` (at least `minMs`). */
  async revoke(revoked: readonly Revoked[]): Promise<void> {
    if (revoked.length === 0) return
    const now = Date.now()
    const bounded = revoked.map(({ id, forMs }) => ({
      id,
      until: now + Math.max(forMs, this.#options.minMs),
    }))
    this.#refuseLocally(bounded, now)
    const { shared, channel } = this.#options
    if (!shared) return
    await Promise.all(bounded.map(({ id, until }) => this.#store(id, until)))
    const forMs = Math.max(...bounded.map(({ until }) => until - now))
    await shared.publish(
      channel,
      JSON.stringify({ ids: bounded.map(({ id }) => id), reject: true, forMs })
    )
  }

  /**
   * Drops `ids` of `shape` from every tier of every instance without refusing them, so they are
   * read again (a key given a grace period, a member's new team, an organization's new plan).
   */
  async forget(ids: readonly string[], shape?: string): Promise<void> {
    const { shared, channel, prefix } = this.#options
    this.#dropLocally(ids, shape)
    if (!shared) return
    await Promise.all(ids.map((id) => shared.remove(`${prefix}:${shape ?? 'session'}:${id}`)))
    await shared.publish(
      channel,
      JSON.stringify({ ids, reject: false, ...(shape ? { shape } : {}) })
    )
  }

  /**
   * Whether the shared tier holds a revocation of `id` (then refused here too): what a verification
   * asks after writing its entry, since a logout may have deleted the entry just before.
   */
  async confirmed(id: string): Promise<boolean> {
    const { shared, revokedNamespace } = this.#options
    const read = await shared?.read(`${revokedNamespace}:${id}`)
    if (read?.status !== 'revoked') return false
    this.#refuseLocally([{ id, until: read.until }], Date.now())
    return true
  }

  /** Applies a revocation another instance published (sealed: anything else is ignored). */
  async apply(message: string): Promise<void> {
    const { shared, channel, minMs } = this.#options
    const opened = shared && (await shared.sealer.open(channel, message))
    const purge = opened === undefined ? undefined : v.safeParse(Purge, parseJson(opened))
    if (!purge?.success) return
    const { ids, reject, forMs, shape } = purge.output
    if (!reject) return this.#dropLocally(ids, shape)
    const now = Date.now()
    const until = now + Math.max(forMs ?? 0, minMs)
    this.#refuseLocally(
      ids.map((id) => ({ id, until })),
      now
    )
  }

  /**
   * Listens for other instances' revocations, where the store can push: a lost subscription is one
   * WARN (revocations then arrive within `l1Ttl`) and comes back by itself. Resolves a stop.
   */
  listen(logger: Logger): (() => Promise<void>) | undefined {
    const { shared, channel } = this.#options
    const listen = shared?.store.listen?.bind(shared.store)
    if (!listen) return undefined
    let lost = false
    const subscription = listen(
      channel,
      (message) => void this.apply(message),
      (listening) => {
        if (!listening && !lost)
          logger.warn(
            `revocations from other instances arrive within l1Ttl: the subscription to ${channel} is lost, reconnecting`
          )
        else if (listening && lost)
          logger.info(`revocations from other instances arrive at once again (${channel})`)
        lost = !listening
      }
    )
    return () => subscription.stop()
  }

  #dropLocally(ids: readonly string[], shape: string | undefined): void {
    const local = shape ? this.#options.tierOf(shape) : this.#options.local
    for (const id of ids) local.delete(id)
  }

  #refuseLocally(revoked: readonly { id: string; until: number }[], now: number): void {
    const { local, marks } = this.#options
    for (const { id, until } of revoked) {
      marks.mark(id, until, now)
      local.delete(id)
    }
  }

  /** Stores the revocation and deletes the entry, or keeps them to do once the tier answers. */
  async #store(id: string, until: number): Promise<void> {
    const { shared, namespace, revokedNamespace } = this.#options
    if (!shared) return
    const forMs = until - Date.now()
    if (
      forMs <= 0 ||
      ((await shared.revoke(`${revokedNamespace}:${id}`, forMs)) &&
        (await shared.remove(`${namespace}:${id}`)))
    ) {
      this.#unstored.delete(id)
      return
    }
    this.#unstored.set(id, until)
    shared.whenAnswering(this.#storeUnstored)
  }
}
