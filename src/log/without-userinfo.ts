/**
 * @module
 * What may be shown of a value that can hold a URL with credentials (a Redis URL, a list of cluster
 * nodes) in messages and logs.
 */

/**
 * `value` without the credentials a URL in it may carry: everything from the scheme (if any) to the
 * last `@` becomes `…`, so a password holding `@` or a list of URLs loses them all. A value without
 * `@` is returned as it is.
 *
 * @example
 * ```ts
 * withoutUserinfo('redis://:hunter2@10.0.0.1:6379') // 'redis://…@10.0.0.1:6379'
 * ```
 */
export function withoutUserinfo(value: string): string {
  return value.replace(/^([a-z][a-z\d+.-]*:\/\/)?.*@/is, '$1…@')
}
