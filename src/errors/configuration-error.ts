/**
 * Thrown when the library is misconfigured: a missing or invalid environment variable or option.
 * The message names the variable and the option that fix it. It is a plain `Error`, not an HTTP
 * error: a deployment bug must be loud (a 500 and a log line), not look like a user's mistake.
 *
 * @example
 * ```ts
 * throw new ConfigurationError('STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()')
 * ```
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError'
}
