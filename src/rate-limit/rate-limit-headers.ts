/** What the `RateLimit-Policy` and `RateLimit` fields say of one decision. */
export interface RateLimitState {
  /** The policy's name (a token of letters, digits, `_`, `.` and `-`: nothing to escape). */
  readonly name: string
  /** Units per window (`q`). */
  readonly limit: number
  /** The window in whole seconds (`w`). */
  readonly windowSeconds: number
  /** Whole units left after this request (`r`, never negative). */
  readonly remaining: number
  /** Whole seconds, rounded up, until the next unit when none remains, else until the quota is full (`t`); `undefined` when no unit will ever come (a quota of 0). */
  readonly resetSeconds: number | undefined
}

/**
 * The rate-limit response fields of draft-ietf-httpapi-ratelimit-headers-10 (structured fields: a
 * list of one item, the policy's name as a String, its data as parameters): `RateLimit-Policy` with
 * the quota `q` and window `w`, `RateLimit` with the units left `r` and the seconds `t` until more.
 * No partition key (`pk`) is sent: the client knows who it is.
 *
 * @example
 * ```ts
 * rateLimitFields({ name: 'default', limit: 100, windowSeconds: 60, remaining: 42, resetSeconds: 17 })
 * // { 'ratelimit-policy': '"default";q=100;w=60', ratelimit: '"default";r=42;t=17' }
 * ```
 */
export function rateLimitFields(state: RateLimitState): {
  readonly 'ratelimit-policy': string
  readonly ratelimit: string
} {
  const { name, limit, windowSeconds, remaining, resetSeconds } = state
  return {
    'ratelimit-policy': `"${name}";q=${limit};w=${windowSeconds}`,
    ratelimit: `"${name}";r=${remaining}${resetSeconds === undefined ? '' : `;t=${resetSeconds}`}`,
  }
}
