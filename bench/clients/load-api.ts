/**
 * @module
 * What a duration-based load run is given and what it measures, whichever generator runs it.
 */
import type { Carrier } from '../carriers.ts'

/** A fixed-concurrency, fixed-duration load on one URL, rotating over tokens. */
export interface LoadOptions {
  readonly url: string
  /** Sent in rotation (each connection starts at its own offset), each as `carrier` puts it. */
  readonly tokens: readonly string[]
  /** Where each request carries its token. */
  readonly carrier: Carrier
  readonly connections: number
  readonly threads: number
  readonly durationSeconds: number
}

/** What a load run measured. */
export interface LoadResult {
  /** Completed requests. */
  readonly requests: number
  readonly durationSeconds: number
  readonly rps: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Socket errors and timeouts. */
  readonly errors: number
  /** Responses other than 2xx/3xx. */
  readonly non2xx: number
}

/** The autocannon runner process's IPC API (the fallback when wrk is not installed). */
export interface AutocannonApi {
  run(options: LoadOptions): Promise<LoadResult>
}
