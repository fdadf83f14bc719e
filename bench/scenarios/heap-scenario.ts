/**
 * @module
 * Runs the memory measurement in its own process (`--expose-gc`).
 */
import { once } from 'node:events'
import { forkTs, stopChild } from '../children.ts'
import type { HeapResult } from '../heap/api.ts'

/**
 * Authenticates `tokens` distinct tokens through the default in-process cache and reports the heap.
 *
 * @example
 * ```ts
 * const { checkpoints } = await runHeapScenario(100_000)
 * ```
 */
export async function runHeapScenario(tokens: number): Promise<HeapResult> {
  const child = forkTs(new URL('../heap/process.ts', import.meta.url), [String(tokens)], {
    nodeFlags: ['--expose-gc'],
  })
  try {
    const exited = once(child, 'exit').then(([code, signal]) => {
      throw new Error(`memory measurement exited without a result (${String(signal ?? code)})`)
    })
    const result = new Promise<HeapResult>((resolve) => {
      child.on('message', (message: unknown) => {
        const found = (message as { result?: HeapResult } | null)?.result
        if (found) resolve(found)
      })
    })
    const value = await Promise.race([result, exited])
    exited.catch(() => {})
    return value
  } finally {
    await stopChild(child)
  }
}
