/**
 * @module
 * The shared tier: a {@link CacheStore} behind its one breaker, every value sealed, every
 * operation reported. It owns the envelope of an entry and tells a caller apart what a miss, a
 * hit, a revoked entry and a failure are: a failed read is never taken for a miss by anyone who
 * must know (a fleet waiter, a revocation).
 */
import * as v from 'valibot'
import type { Telemetry } from '../telemetry/telemetry.ts'
import type { CacheStore } from './cache-store.ts'
import type { CircuitBreaker } from './circuit-breaker.ts'
import type { Sealer } from './seal.ts'

/**
 * An entry: valid until `u`, stored at `s` (absent in entries of earlier versions), data `d`; or,
 * with `r`, a revocation until `u`. An entry's text, if any, follows its JSON after a newline (which
 * JSON text never holds), as is.
 */
const Envelope = v.object({
  u: v.number(),
  s: v.optional(v.number()),
  d: v.optional(v.unknown()),
  r: v.optional(v.literal(1)),
})
type Envelope = v.InferOutput<typeof Envelope>

/** What a read of the shared tier found. */
export type SharedRead =
  | {
      readonly status: 'hit'
      readonly data: unknown
      /** The text stored beside the data, if any. */
      readonly text: string | undefined
      readonly validUntil: number
      readonly storedAt: number
    }
  | { readonly status: 'revoked'; readonly until: number }
  | { readonly status: 'miss' }
  | { readonly status: 'failed' }

/** An operation's result, or its failure (the breaker's owner has logged it). */
type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false }

/**
 * A store, the breaker bounding its operations, and the seal of its values.
 *
 * @example
 * ```ts
 * const shared = new SharedTier(redisCache(url), breaker, hmacSealer(secret))
 * await shared.write('ayz_auth:session:ab12…', { data, validUntil }, 300_000)
 * const read = await shared.read('ayz_auth:session:ab12…') // { status: 'hit', data, … }
 * ```
 */
export class SharedTier {
  /** What to run once the tier answers again (deletions and revocations left behind). */
  readonly #onAnswer = new Set<() => unknown>()

  constructor(
    readonly store: CacheStore,
    readonly breaker: CircuitBreaker,
    readonly sealer: Sealer,
    readonly telemetry?: Telemetry
  ) {}

  /** The entry under `key`, opened and checked; anything unsealed or malformed reads as a miss. */
  async read(key: string, now: number = Date.now()): Promise<SharedRead> {
    const got = await this.run('get', (store) => store.get(key))
    if (!got.ok) return { status: 'failed' }
    const opening = got.value === null ? undefined : this.sealer.open(key, got.value)
    // Opened at once with node:crypto: no promise to wait for.
    const opened = typeof opening === 'object' ? await opening : opening
    const cut = opened?.indexOf('\n') ?? -1
    const json = cut < 0 ? opened : opened?.slice(0, cut)
    const parsed = json === undefined ? undefined : v.safeParse(Envelope, parseJson(json))
    if (!parsed?.success || parsed.output.u <= now) return { status: 'miss' }
    const { u, s, d, r } = parsed.output
    if (r) return { status: 'revoked', until: u }
    const text = cut < 0 ? undefined : opened?.slice(cut + 1)
    return { status: 'hit', data: d, text, validUntil: u, storedAt: s ?? -Infinity }
  }

  /**
   * Stores `data` (and `text`, as is, beside it) under `key` until `validUntil`; resolves whether it
   * was written.
   */
  async write(
    key: string,
    entry: {
      readonly data: unknown
      readonly text?: string | undefined
      readonly validUntil: number
    },
    ttlMs: number,
    now: number = Date.now()
  ): Promise<boolean> {
    const json = JSON.stringify({ u: entry.validUntil, s: now, d: entry.data } satisfies Envelope)
    const payload = entry.text === undefined ? json : `${json}\n${entry.text}`
    const sealed = await this.sealer.seal(key, payload)
    return (await this.run('set', (store) => store.set(key, sealed, ttlMs / 1000))).ok
  }

  /** Stores a revocation under `key` for `forMs`; resolves whether it was stored. */
  async revoke(key: string, forMs: number, now: number = Date.now()): Promise<boolean> {
    const sealed = await this.sealer.seal(
      key,
      JSON.stringify({ u: now + forMs, r: 1 } satisfies Envelope)
    )
    return (await this.run('revoke', (store) => store.set(key, sealed, forMs / 1000))).ok
  }

  /** Removes `key`; resolves whether the store answered. */
  async remove(key: string): Promise<boolean> {
    return (await this.run('delete', (store) => store.delete(key))).ok
  }

  /** Takes the short lock `key` if no one holds it: `true` ours, `false` held, `undefined` failed. */
  async lock(key: string, ttlMs: number): Promise<boolean | undefined> {
    const setIfAbsent = this.store.setIfAbsent?.bind(this.store)
    if (!setIfAbsent) return undefined
    const taken = await this.run('lock', () => setIfAbsent(key, 'locked', ttlMs / 1000))
    return taken.ok ? taken.value : undefined
  }

  /** Whether the lock `key` is still held (`undefined`: the tier failed). */
  async isLocked(key: string): Promise<boolean | undefined> {
    const got = await this.run('get', (store) => store.get(key))
    return got.ok ? got.value !== null : undefined
  }

  /** Sends `message`, sealed for `channel`, to every instance listening (where the store can push). */
  async publish(channel: string, message: string): Promise<void> {
    const publish = this.store.publish?.bind(this.store)
    if (!publish) return
    const sealed = await this.sealer.seal(channel, message)
    await this.run('publish', () => publish(channel, sealed))
  }

  /** An operation through the breaker, reported as a `cache` upstream call when telemetry is on. */
  run<R>(name: string, operation: (store: CacheStore) => Promise<R>): Promise<Outcome<R>> {
    const call = this.telemetry?.upstream('cache', name)
    return this.breaker
      .run(() => operation(this.store))
      .then(
        (value) => {
          call?.end('ok')
          if (this.#onAnswer.size > 0) this.#answered()
          return { ok: true, value }
        },
        () => {
          call?.end('error')
          return { ok: false }
        }
      )
  }

  /** Runs `retry` after the next operation the tier answers (once per registration). */
  whenAnswering(retry: () => unknown): void {
    this.#onAnswer.add(retry)
  }

  #answered(): void {
    const retries = [...this.#onAnswer]
    this.#onAnswer.clear()
    for (const retry of retries) retry()
  }
}

/**
 * `text` as JSON, or `undefined` when it is not JSON.
 *
 * @example
 * ```ts
 * parseJson('{"a":1}') // { a: 1 }
 * ```
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
