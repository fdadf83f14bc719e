/**
 * How big and how long a load run is: a short profile that runs inside `npm test`, and a long one
 * for `npm run test:load` (`AYZ_LOAD_TEST=long`).
 */

/** One phase of the fault cycle: a fault (or none) held for a while. */
export interface Phase {
  readonly fault: FaultName
  readonly ms: number
}

/** The faults a load run injects and removes. */
export type FaultName = 'none' | 'stytch-latency' | 'stytch-500' | 'redis-killed' | 'mongo-slow'

/** The size and length of a load run. */
export interface LoadProfile {
  readonly name: 'short' | 'long'
  /** Stytch sessions seeded (each gives a session token and a session JWT). */
  readonly sessions: number
  /** Of those, how many have an organization, user and team in MongoDB. */
  readonly customers: number
  /** Requests in flight at any time. */
  readonly concurrency: number
  /** The measured run stops after this long… */
  readonly durationMs: number
  /** …or after this many requests, whichever comes first. */
  readonly maxRequests: number
  /** The fault cycle, repeated until the run stops. */
  readonly cycle: readonly Phase[]
  /** Largest heap growth (MB) from after warm-up to the end, both after a full GC. */
  readonly maxHeapGrowthMb: number
}

const CYCLE: readonly Phase[] = [
  { fault: 'none', ms: 2500 },
  { fault: 'stytch-latency', ms: 2000 },
  { fault: 'none', ms: 1500 },
  { fault: 'stytch-500', ms: 2000 },
  { fault: 'none', ms: 1500 },
  { fault: 'redis-killed', ms: 2000 },
  { fault: 'none', ms: 2000 },
  { fault: 'mongo-slow', ms: 2000 },
  { fault: 'none', ms: 2000 },
]

const SHORT: LoadProfile = {
  name: 'short',
  sessions: 1200,
  customers: 60,
  concurrency: 48,
  durationMs: CYCLE.reduce((total, phase) => total + phase.ms, 0),
  maxRequests: 200_000,
  cycle: CYCLE,
  maxHeapGrowthMb: 16,
}

const LONG: LoadProfile = {
  name: 'long',
  sessions: 6000,
  customers: 300,
  concurrency: 128,
  durationMs: 120_000,
  maxRequests: 5_000_000,
  cycle: CYCLE.map((phase) => ({ ...phase, ms: phase.ms * 2 })),
  maxHeapGrowthMb: 32,
}

/**
 * The profile selected by `AYZ_LOAD_TEST` (`long`; anything else is short).
 *
 * @example
 * ```ts
 * const profile = loadProfile(process.env.AYZ_LOAD_TEST)
 * ```
 */
export function loadProfile(setting: string | undefined): LoadProfile {
  return setting === 'long' ? LONG : SHORT
}
