/**
 * @module
 * The rungs of the L1 cost ladder (see `l1-ladder.ts`).
 */
import type { Carrier } from '../carriers.ts'

/**
 * The rungs, cheapest first. The `cookie:` rungs receive the token in Stytch's cookie, among other
 * cookies, instead of `Authorization: Bearer`, and are compared with `cookie:baseline` (the
 * baseline app receiving the same `Cookie` header).
 */
export const RUNGS = [
  'baseline',
  'empty-middleware',
  'read-header',
  'read-header+sha256+map+set',
  'stytchAuth',
  'node-header+sha256+map+set',
  'cookie:baseline',
  'cookie:scan+sha256+map+set',
  'cookie:hono-parse+sha256+map+set',
  'cookie:stytchAuth',
] as const

/** A rung of the ladder. */
export type Rung = (typeof RUNGS)[number]

/** Which tokens a ladder run rotates over: opaque session tokens or session JWTs. */
export type TokenKind = 'session' | 'jwt'

/**
 * How a rung's requests carry a token of `kind`.
 *
 * @example
 * ```ts
 * carrierOf('cookie:stytchAuth', 'jwt') // 'jwt-cookie'
 * ```
 */
export function carrierOf(rung: Rung, kind: TokenKind): Carrier {
  if (!rung.startsWith('cookie:')) return 'bearer'
  return kind === 'jwt' ? 'jwt-cookie' : 'session-cookie'
}

/**
 * The rung whose CPU per request a rung's cost is measured from (the same requests, no middleware).
 *
 * @example
 * ```ts
 * baselineRungOf('cookie:stytchAuth') // 'cookie:baseline'
 * ```
 */
export function baselineRungOf(rung: Rung): Rung {
  return rung.startsWith('cookie:') ? 'cookie:baseline' : 'baseline'
}
