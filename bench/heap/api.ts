/**
 * @module
 * What the memory measurement reports.
 */

/** Heap used (after full GC) once `tokens` distinct tokens have been authenticated. */
export interface HeapCheckpoint {
  readonly tokens: number
  readonly heapUsedBytes: number
}

/** The memory measurement's result. */
export interface HeapResult {
  readonly checkpoints: readonly HeapCheckpoint[]
  /** Responses other than 200 (should be 0). */
  readonly failures: number
  readonly elapsedMs: number
}
