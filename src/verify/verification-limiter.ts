import { StytchApiError } from '../errors/auth-error.ts'

/**
 * A token bucket in front of Stytch: at most `burst` verifications at once, refilled at
 * `perSecond`. A caller over the rate waits for its turn when that fits its time budget, and gets
 * a 503 otherwise, so a flood of new (or invented) tokens costs Stytch at most
 * `burst + perSecond × seconds` calls per project and process, revocations and retries included.
 *
 * @example
 * ```ts
 * const limiter = new VerificationLimiter(100)
 * await limiter.acquire(2_000) // resolves at once, or after a wait of at most 2 s; else throws 503
 * ```
 */
export class VerificationLimiter {
  #perMs: number
  #burst: number
  #tokens: number
  /** Monotonic: a clock set back or forward never empties or fills the bucket. */
  #updatedAt = performance.now()

  constructor(perSecond: number) {
    this.#perMs = perSecond / 1000
    this.#burst = perSecond * 2
    this.#tokens = this.#burst
  }

  /** Lowers the rate to `perSecond` if it is higher (mounts that disagree get the lowest). */
  lowerTo(perSecond: number): void {
    if (perSecond / 1000 >= this.#perMs) return
    this.#perMs = perSecond / 1000
    this.#burst = perSecond * 2
    this.#tokens = Math.min(this.#tokens, this.#burst)
  }

  /** Takes a slot now or after waiting at most `maxWaitMs`; throws `StytchApiError` otherwise. */
  async acquire(maxWaitMs: number): Promise<void> {
    const waitMs = this.#waitFor()
    if (waitMs > maxWaitMs) throw new StytchApiError({ retryAfterSeconds: waitMs / 1000 })
    this.#tokens -= 1
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
  }

  /** Takes a slot if one is free now (a retry: it gives up rather than wait). */
  tryAcquire(): boolean {
    if (this.#waitFor() > 0) return false
    this.#tokens -= 1
    return true
  }

  #waitFor(): number {
    const now = performance.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#perMs)
    this.#updatedAt = now
    return this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.#perMs
  }
}
