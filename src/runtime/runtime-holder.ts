/**
 * @module
 * Where a mount's runtime is held: built on its first request (on Workers the environment arrives
 * with it), kept until `close()`, built again on the next request after that. `closeAuth()` closes
 * every live one.
 */
import type { Context } from 'hono'
import { closeOpened } from './backends.ts'
import { readEnv, type EnvRecord } from '../config/read-env.ts'
import { parseOptions, resolveConfig, type ParsedOptions } from '../config/resolve-config.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import type { Binding, BindingHolder } from '../middleware/authenticate.ts'
import { routeOf, type Route } from '../middleware/route.ts'
import { buildRuntime, type Runtime } from './runtime.ts'

/** Builds a mount's runtime for an environment: serving requests, or only revoking. */
export type RuntimeBuilder = (vars: EnvRecord, serving: boolean) => Promise<Runtime>

/** Every holder whose runtime is built, for `closeAuth()`. */
const live = new Set<RuntimeHolder>()
/** Configuration errors already logged (one ERROR per problem per process). */
const reported = new Set<string>()

/**
 * A mount's runtime and route, built lazily. A configuration error is logged once (ERROR, naming
 * the variable) and rejects every request with the JSON 500 of {@link ConfigurationError}, until
 * a request finds the environment fixed.
 *
 * @example
 * ```ts
 * const holder = new RuntimeHolder(parseOptions(options), routeOf(parseOptions(options)))
 * const { runtime } = holder.ready ?? (await holder.get(c))
 * ```
 */
export class RuntimeHolder implements BindingHolder {
  ready: Binding | undefined
  #pending: Promise<Binding> | undefined
  /** Counts closes, so a runtime built across a close is not kept. */
  #closes = 0

  /**
   * @param serving `false` for a runtime that only revokes: it subscribes to nothing, needs no close.
   * @param build how the runtime is built (default: Stytch's, from `options` and the environment).
   */
  constructor(
    readonly options: ParsedOptions,
    readonly route: Route,
    readonly serving = true,
    readonly build: RuntimeBuilder = (vars, serving) =>
      buildRuntime(options, resolveConfig(options, vars), serving)
  ) {}

  /** The binding, built for `c`'s environment if it is not yet; `quietly`: a configuration error is not logged (the caller says what it does instead). */
  get(c?: Context, quietly = false): Promise<Binding> {
    return (this.#pending ??= this.#build(c, quietly))
  }

  /** Closes the runtime (if built); the next request builds a new one. */
  async close(): Promise<void> {
    const pending = this.#pending
    this.#closes++
    this.#pending = undefined
    this.ready = undefined
    live.delete(this)
    const binding = await pending?.catch(() => undefined)
    await binding?.runtime.close()
  }

  async #build(c: Context | undefined, quietly: boolean): Promise<Binding> {
    const closes = this.#closes
    try {
      const runtime = await this.build(readEnv(c), this.serving)
      // Closed while it was built: it serves this request, then closes.
      if (this.#closes !== closes) {
        void runtime.close()
        return { runtime, route: this.route }
      }
      if (this.serving) live.add(this)
      return (this.ready = { runtime, route: this.route })
    } catch (error) {
      this.#pending = undefined
      throw quietly ? error : reportedOnce(error, this.options)
    }
  }
}

let defaults: RuntimeHolder | undefined

/**
 * The holder of the default settings (the environment alone): what a guard without a
 * `stytchAuth()` before it, and `revokeSession` without one, authenticate with.
 *
 * @example
 * ```ts
 * const { runtime } = await defaultHolder().get(c)
 * ```
 */
export function defaultHolder(): RuntimeHolder {
  if (!defaults) {
    const options = parseOptions({})
    defaults = new RuntimeHolder(options, routeOf(options))
  }
  return defaults
}

/**
 * Closes everything the library opened in this process: every runtime's subscriptions and the
 * Redis connections and MongoDB pools it created from the environment or from URLs (clients you
 * passed in stay open: they are yours). Resolves once they are gone. Call it on graceful
 * shutdown; a request after it builds its runtime again.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', async () => {
 *   server.close()
 *   await closeAuth()
 * })
 * ```
 */
export async function closeAuth(): Promise<void> {
  const holders = [...live]
  await Promise.allSettled(holders.map((holder) => holder.close()))
  await closeOpened()
}

/** Logs a configuration error once per process (ERROR, never a stack trace), and returns it. */
function reportedOnce(error: unknown, options: ParsedOptions): unknown {
  if (error instanceof ConfigurationError && !reported.has(error.message)) {
    reported.add(error.message)
    ;(options.logger ?? console).error(`[ayz-auth] configuration error: ${error.message}`)
  }
  return error
}
