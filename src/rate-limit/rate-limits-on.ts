import type { CacheStore } from '../cache/cache-store.ts'
import { CircuitBreaker } from '../cache/circuit-breaker.ts'
import { MemoryCache } from '../cache/memory-cache.ts'
import type { SharedTier } from '../cache/shared-tier.ts'
import { describeError } from '../log/describe-error.ts'
import type { Logger } from '../log/logger.ts'
import { InProcessRateLimits } from './in-process-rate-limits.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'

/** A decision, and whether it was made in process because the store was down. */
export interface Decided {
  readonly decision: RateLimitDecision
  readonly degraded: boolean
}

/** Where a limiter's decisions are made: in process, or on a store with an in-process fallback. */
export interface RateLimits {
  /** Decides `request` for `key` (synchronously when in process). */
  consume(key: string, request: RateLimitRequest, logger: Logger): Decided | Promise<Decided>
  /**
   * Gives back units a decision spent (`request.cost` negative), where that decision was made; the
   * new state, or `undefined` when the store cannot be reached (the units then stay spent).
   */
  refund(
    key: string,
    request: RateLimitRequest,
    degraded: boolean
  ): RateLimitDecision | undefined | Promise<RateLimitDecision | undefined>
}

/** How many keys an in-process structure holds before it forgets the least recently used. */
const IN_PROCESS_KEYS = 50_000

/** A store operation's result, or why it failed (the breaker bounded it). */
type Attempt<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; reason?: string }
/** How a store is called: within its breaker, the failure reported rather than thrown. */
type Run = <R>(operation: (store: CacheStore) => Promise<R>) => Promise<Attempt<R>>

/** This process's budgets, for limiters without a store (keys differ by prefix and name). */
const inProcess = new InProcessRateLimits({ maxKeys: IN_PROCESS_KEYS })
/** Decisions in this process: synchronous, never degraded. */
const IN_PROCESS: RateLimits = {
  consume: (key, request) => ({ decision: inProcess.consumeSync(key, request), degraded: false }),
  refund: (key, request) => inProcess.consumeSync(key, request),
}
/** The rate limits of each store, so limiters sharing a store share its breaker and fallback. */
const byStore = new WeakMap<CacheStore, RateLimits>()

/**
 * The rate limits of `store` (one per store in a process, whichever limiter asks), or of this
 * process when there is none or it cannot `consume` (a WARN says so, once). A store call goes through
 * the shared tier's breaker when the store is a runtime's shared tier (`shared`), else through a
 * breaker of its own (its `timeoutMs`, default 1 s, and `cooldownMs`): a store that throws or hangs
 * costs one timeout, then each instance decides in process (one WARN `rate limit degraded`) until
 * a trial call after the cooldown answers again (one INFO `rate limit recovered`). An in-process
 * `memoryCache()` cannot be down: it is asked directly.
 *
 * @example
 * ```ts
 * const limits = rateLimitsOn(runtime.store, runtime.shared, runtime.logger)
 * const { decision, degraded } = await limits.consume(key, { limit: 100, windowMs: 60_000, cost: 1 }, logger)
 * ```
 */
export function rateLimitsOn(
  store: CacheStore | undefined,
  shared: SharedTier | undefined,
  logger: Logger
): RateLimits {
  if (!store) return IN_PROCESS
  let limits = byStore.get(store)
  if (limits) return limits
  if (store.consume) limits = new StoreRateLimits(store, runOf(store, shared))
  else {
    logger.warn(
      `rate limits are kept in process: ${store.name ?? 'the store'} cannot decide them (it has no consume)`
    )
    limits = IN_PROCESS
  }
  byStore.set(store, limits)
  return limits
}

/** How operations reach `store`: its shared tier's breaker, its own, or straight (in process). */
function runOf(store: CacheStore, shared: SharedTier | undefined): Run {
  if (shared?.store === store) return async (operation) => shared.run('rate_limit', operation)
  if (store instanceof MemoryCache)
    return async (operation) => ({ ok: true, value: await operation(store) })
  const breaker = new CircuitBreaker({
    timeoutMs: store.timeoutMs ?? 1000,
    ...(store.cooldownMs ? { cooldownMs: store.cooldownMs } : {}),
  })
  return async (operation) => {
    try {
      return { ok: true, value: await breaker.run(() => operation(store)) }
    } catch (error) {
      return { ok: false, reason: describeError(error) }
    }
  }
}

/** Decisions on a store, made in process while it is down. */
class StoreRateLimits implements RateLimits {
  readonly #fallback = new InProcessRateLimits({ maxKeys: IN_PROCESS_KEYS })
  #degraded = false

  constructor(
    readonly store: CacheStore,
    readonly run: Run
  ) {}

  async consume(key: string, request: RateLimitRequest, logger: Logger): Promise<Decided> {
    const attempt = await this.run((store) => consumeOn(store, key, request))
    const name = this.store.name ?? 'the rate-limit store'
    if (attempt.ok) {
      if (this.#degraded) {
        this.#degraded = false
        logger.info(`rate limit recovered: ${name} answers again; limits are shared again`)
      }
      return { decision: attempt.value, degraded: false }
    }
    if (!this.#degraded) {
      this.#degraded = true
      logger.warn(
        `rate limit degraded: ${name} unavailable${attempt.reason ? ` (${attempt.reason})` : ''}; each instance limits in process until it returns`
      )
    }
    return { decision: this.#fallback.consumeSync(key, request), degraded: true }
  }

  async refund(
    key: string,
    request: RateLimitRequest,
    degraded: boolean
  ): Promise<RateLimitDecision | undefined> {
    if (degraded) return this.#fallback.consumeSync(key, request)
    const attempt = await this.run((store) => consumeOn(store, key, request))
    return attempt.ok ? attempt.value : undefined
  }
}

/** `store.consume`, which {@link rateLimitsOn} checked is there. */
function consumeOn(
  store: CacheStore,
  key: string,
  request: RateLimitRequest
): Promise<RateLimitDecision> {
  const { consume } = store
  if (!consume) throw new TypeError(`${store.name ?? 'the store'} has no consume`)
  return consume.call(store, key, request)
}
