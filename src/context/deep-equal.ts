/**
 * @module
 * Equality of JSON-like values (claims, records read from a source), compared by content.
 */

/**
 * Whether two JSON-like values hold the same content: primitives by `Object.is`, arrays and
 * plain objects key by key, an array never equal to an object.
 *
 * @example
 * ```ts
 * deepEqual({ team: { id: 'a1' } }, { team: { id: 'a1' } }) // true
 * deepEqual([1], { 0: 1 })                                  // false
 * ```
 */
export function deepEqual(actual: unknown, expected: unknown): boolean {
  if (Object.is(actual, expected)) return true
  if (!isObject(actual) || !isObject(expected) || Array.isArray(actual) !== Array.isArray(expected))
    return false
  const keys = Object.keys(expected)
  return (
    keys.length === Object.keys(actual).length &&
    keys.every((key) => Object.hasOwn(actual, key) && deepEqual(actual[key], expected[key]))
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
