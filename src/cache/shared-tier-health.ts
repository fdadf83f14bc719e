import type { Logger } from '../log/logger.ts'

/**
 * Logs the shared cache tier going down and coming back, once per change rather than once per
 * request: while it is down, requests are served from process memory and Stytch.
 *
 * @example
 * ```ts
 * const health = sharedTierHealth(logger, 'redis')
 * new TieredCache({ ...options, ...health })
 * ```
 */
export function sharedTierHealth(
  logger: Logger,
  name: string
): { onSharedTierError: (error: unknown) => void; onSharedTierOk: () => void } {
  let degraded = false
  return {
    onSharedTierError(error) {
      if (degraded) return
      degraded = true
      const reason = error instanceof Error ? error.message : String(error)
      logger.warn(
        `cache degraded: ${name} unavailable (${reason}); verifying with Stytch until it returns`
      )
    },
    onSharedTierOk() {
      if (!degraded) return
      degraded = false
      logger.info(`cache recovered: ${name} answers again`)
    },
  }
}
