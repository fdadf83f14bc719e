/**
 * @module
 * Typed request/reply calls over a forked child's IPC channel, so the orchestrator can drive the
 * fixture process and the exact-count client without sharing a CPU-bound event loop with them.
 */
import type { ChildProcess } from 'node:child_process'

/** An API served over IPC: every method takes JSON-serializable arguments and resolves to JSON. */
export type Methods<A> = { readonly [K in keyof A]: (...args: never[]) => Promise<unknown> }

interface RpcRequest {
  readonly rpc: number
  readonly method: string
  readonly params: readonly unknown[]
}

type RpcReply =
  | { readonly rpc: number; readonly ok: true; readonly result: unknown }
  | { readonly rpc: number; readonly ok: false; readonly error: string }

function isRequest(message: unknown): message is RpcRequest {
  if (typeof message !== 'object' || message === null) return false
  const { rpc, method, params } = message as Partial<RpcRequest>
  return typeof rpc === 'number' && typeof method === 'string' && Array.isArray(params)
}

function isReply(message: unknown): message is RpcReply {
  if (typeof message !== 'object' || message === null) return false
  const { rpc, ok } = message as { rpc?: unknown; ok?: unknown }
  return typeof rpc === 'number' && typeof ok === 'boolean'
}

/**
 * Serves `api` to the parent process (call in a forked child). Unknown methods and failures are
 * answered with an error message. When the parent goes away, `onDisconnect` runs (default: exit).
 *
 * @example
 * ```ts
 * serveRpc<ClientApi>({ async burst(url, tokens, concurrency) { … } })
 * ```
 */
export function serveRpc<A extends Methods<A>>(
  api: A,
  onDisconnect: () => void = () => process.exit(0)
): void {
  const send = (reply: RpcReply): void => {
    process.send?.(reply)
  }
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return
    const { rpc, method, params } = message
    const target = (api as Record<string, unknown>)[method]
    if (typeof target !== 'function') {
      send({ rpc, ok: false, error: `unknown method ${method}` })
      return
    }
    Promise.resolve()
      .then(() => (target as (...args: unknown[]) => Promise<unknown>).apply(api, [...params]))
      .then(
        (result) => send({ rpc, ok: true, result: result ?? null }),
        (error: unknown) =>
          send({
            rpc,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          })
      )
  })
  process.on('disconnect', onDisconnect)
}

/**
 * Calls the API a forked child serves with {@link serveRpc}.
 *
 * @example
 * ```ts
 * const fixtures = new RpcClient<FixtureApi>(child)
 * const tokens = await fixtures.call('sessionTokens', 100)
 * ```
 */
export class RpcClient<A extends Methods<A>> {
  readonly #child: ChildProcess
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >()
  #next = 0

  constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (message: unknown) => {
      if (!isReply(message)) return
      const pending = this.#pending.get(message.rpc)
      if (!pending) return
      this.#pending.delete(message.rpc)
      if (message.ok) pending.resolve(message.result)
      else pending.reject(new Error(message.error))
    })
    child.once('exit', (code, signal) => {
      for (const { reject } of this.#pending.values()) {
        reject(new Error(`child process exited (${signal ?? code}) during a call`))
      }
      this.#pending.clear()
    })
  }

  /** Calls `method` in the child and resolves to its result. */
  call<K extends keyof A & string>(
    method: K,
    ...params: Parameters<A[K]>
  ): Promise<Awaited<ReturnType<A[K]>>> {
    const rpc = ++this.#next
    return new Promise<Awaited<ReturnType<A[K]>>>((resolve, reject) => {
      this.#pending.set(rpc, {
        resolve: (value) => resolve(value as Awaited<ReturnType<A[K]>>),
        reject,
      })
      const request: RpcRequest = { rpc, method, params }
      this.#child.send(request, (error) => {
        if (!error) return
        this.#pending.delete(rpc)
        reject(error)
      })
    })
  }
}
