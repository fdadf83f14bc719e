/** Options of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Milliseconds one call may take before it counts as failed. */
  readonly timeoutMs: number
  /** Consecutive failures that open the circuit. Default 1: an outage costs one timeout. */
  readonly failureThreshold?: number
  /** Milliseconds the circuit stays open before one trial call is let through. Default 2000. */
  readonly cooldownMs?: number
}

/** The error of a call refused because the circuit is open. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError'
}

/**
 * Guards calls to a backend that may be down: each call is bounded by a timeout, and after
 * `failureThreshold` consecutive failures calls fail at once, without waiting, until `cooldownMs`
 * has passed and one trial call succeeds. So a dead Redis costs one timeout, not one per request,
 * and the cache recovers by itself when Redis returns.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ timeoutMs: 250 })
 * const value = await breaker.run(() => redis.get(key))
 * ```
 */
export class CircuitBreaker {
  readonly #timeoutMs: number
  readonly #threshold: number
  readonly #cooldownMs: number
  #failures = 0
  #openUntil = 0
  #trialRunning = false

  constructor(options: CircuitBreakerOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#threshold = options.failureThreshold ?? 1
    this.#cooldownMs = options.cooldownMs ?? 2000
  }

  /** Whether calls are currently refused. */
  get isOpen(): boolean {
    return this.#failures >= this.#threshold && (Date.now() < this.#openUntil || this.#trialRunning)
  }

  /** Runs `call` within the timeout, or rejects at once with {@link CircuitOpenError}. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.isOpen) throw new CircuitOpenError('circuit open: backend recently failed')
    const trial = this.#failures >= this.#threshold
    if (trial) this.#trialRunning = true
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const result = await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${this.#timeoutMs} ms`)),
            this.#timeoutMs
          )
        }),
      ])
      this.#failures = 0
      return result
    } catch (error) {
      this.#failures++
      if (this.#failures >= this.#threshold) this.#openUntil = Date.now() + this.#cooldownMs
      throw error
    } finally {
      clearTimeout(timer)
      if (trial) this.#trialRunning = false
    }
  }
}
