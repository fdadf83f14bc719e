/**
 * @module
 * Small statistics helpers: medians across rounds and percentiles of raw latencies.
 */

/**
 * The median of `values` (the mean of the two middle values for an even count); `NaN` when empty.
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

/**
 * The `p`-th percentile (0–100, nearest rank) of values already sorted ascending; `NaN` when empty.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50) // 2
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN
}

/**
 * The sum of `values`.
 *
 * @example
 * ```ts
 * sum([1, 2, 3]) // 6
 * ```
 */
export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
