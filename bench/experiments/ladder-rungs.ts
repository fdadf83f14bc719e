/**
 * @module
 * The rungs of the L1 cost ladder (see `l1-ladder.ts`).
 */

/** The rungs, cheapest first. */
export const RUNGS = [
  'baseline',
  'empty-middleware',
  'read-header',
  'read-header+sha256+map+set',
  'stytchAuth',
  'node-header+sha256+map+set',
] as const

/** A rung of the ladder. */
export type Rung = (typeof RUNGS)[number]
