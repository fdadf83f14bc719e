/**
 * The message of an error as logs show it (never a stack, never a cause).
 *
 * @example
 * ```ts
 * logger.warn('cache degraded', { error: describeError(error) })
 * ```
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
