/**
 * Injects and removes faults on a schedule while a load run goes on, and remembers when each was
 * on, so that a 503 can be checked against the faults of its time.
 */
import type { FaultRule } from '../../../src/testing/index.ts'
import type { World } from '../world.ts'
import type { FaultName, Phase } from './profile.ts'

/** When a fault was on (`end` undefined: still on). */
export interface FaultWindow {
  readonly fault: FaultName
  readonly start: number
  end: number | undefined
}

/** How long Stytch and MongoDB are slowed down by the latency faults. */
const STYTCH_LATENCY_MS = 300
const MONGO_DELAY_MS = 1500

/** Switches one fault on; resolves to the function switching it off again. */
async function inject(world: World, fault: FaultName): Promise<() => Promise<void>> {
  const { emulator } = world.stytch
  const removing = (rule: FaultRule) => async () => rule.remove()
  switch (fault) {
    case 'none':
      return async () => {}
    case 'stytch-latency':
      return removing(
        emulator.injectFault(
          { kind: 'latency', ms: STYTCH_LATENCY_MS },
          { endpoint: 'authenticate' }
        )
      )
    case 'stytch-500':
      return removing(
        emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'authenticate' })
      )
    case 'redis-killed': {
      const redis = world.redis!
      await redis.kill()
      return () => redis.restart()
    }
    case 'mongo-slow': {
      const mongo = world.mongo!
      mongo.faults.slow(MONGO_DELAY_MS)
      return async () => mongo.faults.slow(0)
    }
  }
}

/**
 * The faults of a run: cycles through `cycle` from when `run` is called until `stop()`, then
 * removes whatever fault is on.
 *
 * @example
 * ```ts
 * const schedule = faultSchedule(world, profile.cycle)
 * const running = schedule.run()
 * // … load …
 * await schedule.stop(); await running
 * schedule.allows503(start, end, 3000)
 * ```
 */
export function faultSchedule(world: World, cycle: readonly Phase[]) {
  const windows: FaultWindow[] = []
  let stopped = false
  let wake: (() => void) | undefined
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  return {
    windows,
    async run(): Promise<void> {
      for (let i = 0; !stopped; i = (i + 1) % cycle.length) {
        const phase = cycle[i]!
        const window: FaultWindow | undefined =
          phase.fault === 'none'
            ? undefined
            : { fault: phase.fault, start: performance.now(), end: undefined }
        if (window) windows.push(window)
        const remove = await inject(world, phase.fault)
        await pause(phase.ms)
        await remove()
        if (window) window.end = performance.now()
        // The MongoDB fixture logs every command it runs: fixture memory, not the library's.
        world.mongo?.store.resetLog()
      }
    },
    stop(): void {
      stopped = true
      wake?.()
    },
    /** Whether a request from `start` to `end` overlapped a fault, or ended within `graceMs` after one. */
    allows503(start: number, end: number, graceMs: number): boolean {
      return windows.some(
        (window) =>
          window.start <= end && start <= (window.end ?? Number.POSITIVE_INFINITY) + graceMs
      )
    },
  }
}
