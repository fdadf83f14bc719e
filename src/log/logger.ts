/**
 * @module
 * Leveled logging through any console-like object. The library never passes a token to a logger
 * unless `STYTCH_LOG_SENSITIVE_DATA=true`; it logs a short digest of it instead.
 */

/** Any object with console-style methods, e.g. `console`, pino or winston. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** Log levels, as the Python package named them (`WARN` is accepted for `WARNING`). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR'

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 }
const silent = (): void => {}

/**
 * A logger that drops messages below `level` and prefixes the rest with `[ayz-auth]`.
 *
 * @example
 * ```ts
 * const log = leveledLogger(console, 'WARNING')
 * log.info('not printed')
 * log.warn('cache degraded') // console.warn('[ayz-auth] cache degraded')
 * ```
 */
export function leveledLogger(sink: Logger, level: LogLevel): Logger {
  const at = (method: keyof Logger, rank: LogLevel): Logger[keyof Logger] =>
    RANK[rank] >= RANK[level]
      ? (message, fields) =>
          fields === undefined
            ? sink[method](`[ayz-auth] ${message}`)
            : sink[method](`[ayz-auth] ${message}`, fields)
      : silent
  return {
    debug: at('debug', 'DEBUG'),
    info: at('info', 'INFO'),
    warn: at('warn', 'WARNING'),
    error: at('error', 'ERROR'),
  }
}

/**
 * How a token appears in logs: a digest prefix by default, the token itself only when sensitive
 * logging was explicitly enabled.
 *
 * @example
 * ```ts
 * tokenForLog(token, 'ab12cd34…', false) // 'sha256:ab12cd34ef56'
 * ```
 */
export function tokenForLog(token: string, digestHex: string, sensitive: boolean): string {
  return sensitive ? token : `sha256:${digestHex.slice(0, 12)}`
}
