/**
 * The heap in use after a full garbage collection, so two measurements compare live data only.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

/**
 * Megabytes of live heap, after collecting garbage (twice, so finalizers' garbage goes too).
 *
 * @example
 * ```ts
 * const before = liveHeapMb()
 * ```
 */
export async function liveHeapMb(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    collect()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed / 2 ** 20
}
