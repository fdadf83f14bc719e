/**
 * @module
 * The credentials a URL may carry, and what may be shown of a value that can hold one (a Redis
 * URL, a list of cluster nodes) in messages and logs.
 */

/** A scheme (optional), then everything up to the last `@`: a URL's userinfo. */
const USERINFO = /^([a-z][a-z\d+.-]*:\/\/)?(.*)@/is

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
  return value.replace(USERINFO, '$1…@')
}

/**
 * The credentials of a URL (`scheme://user:password@host`): its userinfo, up to the last `@`, and
 * the password in it; none for a value without a scheme.
 *
 * @example
 * ```ts
 * credentialsIn('redis://:hunter2@10.0.0.1:6379') // [':hunter2', 'hunter2']
 * ```
 */
export function credentialsIn(url: string): string[] {
  const [, scheme, userinfo] = USERINFO.exec(url) ?? []
  return scheme && userinfo ? [userinfo, userinfo.slice(userinfo.indexOf(':') + 1)] : []
}
