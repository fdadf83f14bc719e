/**
 * @module
 * The one timeout of the library: a call gets an `AbortSignal` that fires at the deadline, and the
 * caller stops waiting then, even for a call that ignores its signal.
 */

/** The error a call that ran out of time rejects with. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

/**
 * `call`, given a signal aborted after `ms`, or a {@link TimeoutError} once `ms` have passed.
 * The timer is cleared as soon as the call settles, so nothing outlives it. A call declared
 * without a parameter gets no signal (none is made: a cache command per request stays cheap).
 *
 * @example
 * ```ts
 * const response = await withTimeout(2_000, (signal) => fetch(url, { signal }))
 * const value = await withTimeout(1_000, () => redis.get(key))
 * ```
 */
export function withTimeout<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = call.length === 0 ? undefined : new AbortController()
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TimeoutError(`timed out after ${Math.round(ms)} ms`)
      controller?.abort(error)
      reject(error)
    }, ms)
    const failed = (error: unknown) => {
      clearTimeout(timer)
      reject(error)
    }
    try {
      const called = controller ? call(controller.signal) : (call as () => Promise<T>)()
      called.then((value) => {
        clearTimeout(timer)
        resolve(value)
      }, failed)
    } catch (error) {
      failed(error)
    }
  })
}
