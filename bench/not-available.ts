/**
 * @module
 * A scenario that measures what the built package cannot do yet (an option it ignores or rejects,
 * an optional peer dependency not installed) is reported as not available, not as a failure:
 * whoever finds out throws {@link NotAvailable}, the server under test across the process boundary
 * too (`{ unavailable: reason }` instead of `{ ready }`).
 */

/**
 * Why a scenario cannot be measured with this build or these packages.
 *
 * @example
 * ```ts
 * throw new NotAvailable('@opentelemetry/api is not installed')
 * ```
 */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable'
}
