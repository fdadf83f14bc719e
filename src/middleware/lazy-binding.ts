import type { Context } from 'hono'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import { authRuntime } from '../runtime/auth-runtime.ts'
import type { Binding } from './binding.ts'

/**
 * The binding of one middleware instance, resolved on its first request (when the environment is
 * known, e.g. Workers bindings) and then reused: configuration is read and validated once per
 * instance and isolate, and a failure (a configuration error) is retried on the next request.
 *
 * @example
 * ```ts
 * const bindingFor = lazyBinding(options)
 * const bound = await bindingFor(c)
 * ```
 */
export function lazyBinding(
  options: StytchAuthOptions
): (c: Context) => Binding | Promise<Binding> {
  let binding: Binding | undefined
  let pending: Promise<Binding> | undefined
  return (c) =>
    binding ??
    (pending ??= authRuntime(options, c).then(
      (runtime) => (binding = { runtime, onError: options.onError }),
      (error: unknown) => {
        pending = undefined
        throw error
      }
    ))
}
