/**
 * Collects the process's unhandled promise rejections and uncaught exceptions while a test file
 * runs, so the file can assert there were none (vitest reports them too, but only as a run error).
 */
import { afterAll, beforeAll, expect } from 'vitest'

/** The rejections and exceptions seen so far. */
export interface UnhandledLog {
  readonly errors: string[]
}

/**
 * Starts listening before the file's tests and asserts in `afterAll` that nothing was unhandled.
 *
 * @example
 * ```ts
 * const unhandled = failOnUnhandledRejections()
 * // … tests …; unhandled.errors is checked after the last one
 * ```
 */
export function failOnUnhandledRejections(): UnhandledLog {
  const log: UnhandledLog = { errors: [] }
  const onRejection = (reason: unknown) =>
    log.errors.push(`unhandled rejection: ${describe(reason)}`)
  const onException = (error: unknown) => log.errors.push(`uncaught exception: ${describe(error)}`)
  beforeAll(() => {
    process.on('unhandledRejection', onRejection)
    process.on('uncaughtException', onException)
  })
  afterAll(() => {
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onException)
    expect(log.errors).toEqual([])
  })
  return log
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value)
}
