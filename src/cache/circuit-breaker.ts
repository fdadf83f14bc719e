import { withTimeout } from '../runtime/with-timeout.ts'

/** Options of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Milliseconds one call may take before it counts as failed (its signal is then aborted). */
  readonly timeoutMs: number
  /** Milliseconds the circuit stays open before one trial call is let through. Default 2000. */
  readonly cooldownMs?: number
  /** Called when the backend starts failing (with the error) and when it answers again. */
  readonly onChange?: (failing: boolean, error?: unknown) => void
}

/** The error of a call refused because the circuit is open. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError'
}

/**
 * The one timeout and the one breaker of a backend (a shared cache, an entitlement source): each
 * call gets an `AbortSignal` that fires at the timeout, and after a failure calls fail at once,
 * without waiting, until `cooldownMs` has passed and one trial call succeeds. So a dead Redis costs
 * one timeout, not one per request, and the backend is used again by itself when it returns.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ timeoutMs: 250, onChange: (failing) => log(failing) })
 * const value = await breaker.run((signal) => fetch(url, { signal }))
 * ```
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions
  #failing = false
  #openUntil = 0
  #trialRunning = false

  constructor(options: CircuitBreakerOptions) {
    this.#options = options
  }

  /** Whether calls are currently refused. */
  get isOpen(): boolean {
    return this.#failing && (Date.now() < this.#openUntil || this.#trialRunning)
  }

  /** Runs `call` within the timeout, or rejects at once with {@link CircuitOpenError}. */
  run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.isOpen)
      return Promise.reject(new CircuitOpenError('circuit open: the backend recently failed'))
    const trial = this.#failing
    if (trial) this.#trialRunning = true
    // Chained rather than awaited: this runs on every cache or source call.
    return withTimeout(this.#options.timeoutMs, call).then(
      (result) => {
        if (trial) this.#trialRunning = false
        if (this.#failing) this.#change(false)
        return result
      },
      (error: unknown) => {
        if (trial) this.#trialRunning = false
        this.#openUntil = Date.now() + (this.#options.cooldownMs ?? 2000)
        if (!this.#failing) this.#change(true, error)
        throw error
      }
    )
  }

  #change(failing: boolean, error?: unknown): void {
    this.#failing = failing
    this.#options.onChange?.(failing, error)
  }
}
