/**
 * @module
 * A moment as a shared cache stores it: epoch milliseconds, because a `Date` is made from a number
 * at once, while parsing ISO 8601 text costs about half a µs per field on every cache read.
 */
import * as v from 'valibot'

/**
 * A stored moment as a `Date`: epoch milliseconds, or ISO 8601 text (as entries of earlier
 * versions hold it).
 *
 * @example
 * ```ts
 * v.parse(StoredInstant, 1_767_225_600_000) // 2026-01-01T00:00:00.000Z
 * v.parse(StoredInstant, '2026-01-01T00:00:00.000Z') // the same
 * ```
 */
export const StoredInstant = v.union([
  v.pipe(
    v.number(),
    v.safeInteger(),
    v.transform((milliseconds) => new Date(milliseconds))
  ),
  v.pipe(
    v.string(),
    v.isoTimestamp(),
    v.transform((text) => new Date(text))
  ),
])

/**
 * `value` as a shared cache stores it: a `Date` as epoch milliseconds, anything else as is.
 *
 * @example
 * ```ts
 * storedOf(new Date('2026-01-01T00:00:00Z')) // 1767225600000
 * ```
 */
export function storedOf(value: unknown): unknown {
  return value instanceof Date ? value.getTime() : value
}
