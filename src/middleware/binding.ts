/**
 * @module
 * What a `stytchAuth()` instance leaves on the request for the guards and `revokeSession` that
 * run after it: its runtime and its `onError`. Kept under a symbol, so it never appears in
 * `c.var` serializations or clashes with user variables.
 */
import type { Context } from 'hono'
import type { StytchAuthOptions } from '../config/stytch-auth-options.ts'
import type { AuthRuntime } from '../runtime/auth-runtime.ts'

/** The runtime that authenticated a request, and how its errors are answered. */
export interface Binding {
  readonly runtime: AuthRuntime
  readonly onError: StytchAuthOptions['onError']
}

const BINDING = Symbol('ayz-auth.binding')

/** Hono's variable store, which accepts any key at run time. */
interface VariableStore {
  set(key: symbol, value: unknown): void
  get(key: symbol): unknown
}

/**
 * Records the binding of the middleware that authenticated `c`.
 *
 * @example
 * ```ts
 * bind(c, { runtime, onError: options.onError })
 * ```
 */
export function bind(c: Context, binding: Binding): void {
  ;(c as unknown as VariableStore).set(BINDING, binding)
}

/**
 * The binding recorded on `c`, if a `stytchAuth()` ran before.
 *
 * @example
 * ```ts
 * const runtime = bindingOf(c)?.runtime
 * ```
 */
export function bindingOf(c: Context): Binding | undefined {
  return (c as unknown as VariableStore).get(BINDING) as Binding | undefined
}
