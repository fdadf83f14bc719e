/**
 * @module
 * The exact-count client's IPC API: a fixed list of requests (each token once) or a stampede (one
 * token, every request at once), with per-request latencies measured by the client.
 */
import type { Carrier } from '../carriers.ts'

/** What a fixed set of requests gave. */
export interface ExactResult {
  readonly requests: number
  readonly elapsedMs: number
  readonly rps: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Responses by HTTP status (`error` for a failed request). */
  readonly statuses: Readonly<Record<string, number>>
}

/** The exact-count client process's IPC API. */
export interface ExactClientApi {
  /**
   * `GET url` once per token, `concurrency` requests in flight on as many keep-alive connections
   * (opened before the clock starts), each token carried as `carrier` puts it (default `bearer`).
   */
  burst(
    url: string,
    tokens: readonly string[],
    concurrency: number,
    carrier?: Carrier
  ): Promise<ExactResult>
  /**
   * `count` requests for one token, all sent at once, each on its own connection (all connected
   * before the first is sent).
   */
  stampede(url: string, token: string, count: number): Promise<ExactResult>
}
