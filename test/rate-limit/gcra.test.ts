import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { emissionIntervalUs } from '../../src/rate-limit/emission-interval.ts'
import { decideGcra } from '../../src/rate-limit/gcra.ts'
import { gcraScript } from '../../src/rate-limit/gcra-script.ts'
import { hashTagged } from '../../src/rate-limit/hash-tagged.ts'
import type { RateLimitRequest } from '../../src/rate-limit/rate-limit-request.ts'

const SECOND_US = 1_000_000

/** Requests at the given times (µs), decided one after another on one key: the times admitted. */
function admittedAt(times: readonly number[], request: RateLimitRequest): number[] {
  let tat: number | undefined
  const admitted: number[] = []
  for (const now of times) {
    const { decision, newTatUs } = decideGcra(now, tat, request)
    if (newTatUs !== undefined) tat = newTatUs
    if (decision.allowed) admitted.push(now)
  }
  return admitted
}

/** The most admissions inside any span [t, t + spanUs) of sorted times. */
function mostWithin(spanUs: number, sortedTimes: readonly number[]): number {
  let most = 0
  let first = 0
  sortedTimes.forEach((time, last) => {
    while ((sortedTimes[first] ?? time) <= time - spanUs) first++
    most = Math.max(most, last - first + 1)
  })
  return most
}

describe('GCRA, the arithmetic every store shares', () => {
  it('admits exactly `limit` of a burst on a fresh key, whatever the limit and window', () => {
    const cases = fc.record({
      limit: fc.integer({ min: 1, max: 3_000 }),
      windowMs: fc.integer({ min: 1_000, max: 86_400_000 }),
    })
    fc.assert(
      fc.property(cases, ({ limit, windowMs }) => {
        const request = { limit, windowMs, cost: 1 }
        const now = 1_800_000_000 * SECOND_US
        expect(admittedAt(Array(limit * 3).fill(now), request)).toHaveLength(limit)
      }),
      { numRuns: 60 }
    )
  })

  it('reports remaining and reset as the RateLimit header wants them, and a denial changes nothing', () => {
    const request = { limit: 2, windowMs: 1000, cost: 1 }
    const first = decideGcra(0, undefined, request)
    expect(first).toEqual({
      decision: { allowed: true, remaining: 1, resetMs: 500, retryAfterMs: 0 },
      newTatUs: 500_000,
    })
    // r = 0: t is the time until the next unit, not until full.
    const second = decideGcra(100_000, first.newTatUs, request)
    expect(second).toEqual({
      decision: { allowed: true, remaining: 0, resetMs: 400, retryAfterMs: 0 },
      newTatUs: 1_000_000,
    })
    const denied = decideGcra(300_000, second.newTatUs, request)
    expect(denied).toEqual({
      decision: { allowed: false, remaining: 0, resetMs: 200, retryAfterMs: 200 },
      newTatUs: undefined,
    })
    // At retryAfterMs the next unit is back.
    expect(decideGcra(500_000, second.newTatUs, request).decision).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 500,
      retryAfterMs: 0,
    })
  })

  it('spends `cost` units at once, and never admits a cost above the limit', () => {
    const request = (cost: number) => ({ limit: 10, windowMs: 10_000, cost })
    const spent = decideGcra(0, undefined, request(4))
    expect(spent.decision).toEqual({ allowed: true, remaining: 6, resetMs: 4000, retryAfterMs: 0 })
    const tooMuch = decideGcra(0, 8 * SECOND_US, request(4))
    expect(tooMuch).toEqual({
      decision: { allowed: false, remaining: 2, resetMs: 8000, retryAfterMs: 2000 },
      newTatUs: undefined,
    })
    expect(decideGcra(0, undefined, request(11))).toEqual({
      decision: { allowed: false, remaining: 10, resetMs: 0, retryAfterMs: Infinity },
      newTatUs: undefined,
    })
    // Cost 0 reads without writing.
    expect(decideGcra(0, 8 * SECOND_US, request(0))).toEqual({
      decision: { allowed: true, remaining: 2, resetMs: 8000, retryAfterMs: 0 },
      newTatUs: undefined,
    })
  })

  it('gives units back with a negative cost (a refund), never beyond a full budget', () => {
    const request = (cost: number) => ({ limit: 10, windowMs: 10_000, cost }) // a unit a second
    // 4 spent: a refund of 3 leaves 1 spent.
    expect(decideGcra(0, 4 * SECOND_US, request(-3))).toEqual({
      decision: { allowed: true, remaining: 9, resetMs: 1000, retryAfterMs: 0 },
      newTatUs: 1 * SECOND_US,
    })
    // More than was spent: the budget is full again (the TAT is now, as good as absent).
    expect(decideGcra(0, 2 * SECOND_US, request(-5))).toEqual({
      decision: { allowed: true, remaining: 10, resetMs: 0, retryAfterMs: 0 },
      newTatUs: 0,
    })
    // Nothing spent: nothing to write.
    expect(decideGcra(0, undefined, request(-1)).newTatUs).toBeUndefined()
  })

  it('applies a new limit to the next decision; the used share of the window carries over', () => {
    // 10 per minute, 6 spent: 36 s until full.
    const tat = 36 * SECOND_US
    expect(decideGcra(0, tat, { limit: 10, windowMs: 60_000, cost: 1 }).decision.remaining).toBe(3)
    // Down to 3 per minute: 36 s is 1.8 units of 20 s; one more fits, then none.
    expect(decideGcra(0, tat, { limit: 3, windowMs: 60_000, cost: 1 }).decision).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 16_000,
      retryAfterMs: 0,
    })
    // Up to 60 per minute from an exhausted 2 per minute: the next unit comes after 1 s, not 30 s.
    expect(
      decideGcra(0, 60 * SECOND_US, { limit: 60, windowMs: 60_000, cost: 1 }).decision
    ).toEqual({ allowed: false, remaining: 0, resetMs: 1000, retryAfterMs: 1000 })
  })

  it('worst case: 2·limit − 1 in any window-long span (199 for 100 per minute), `limit` at one instant', () => {
    const request = { limit: 100, windowMs: 60_000, cost: 1 }
    const intervalUs = emissionIntervalUs(request)
    // The adversary: the whole burst at 0, then one request each time a unit comes back.
    const schedule = [
      ...Array(100).fill(0),
      ...Array.from({ length: 200 }, (_, i) => (i + 1) * intervalUs),
    ]
    const admitted = admittedAt(schedule, request)
    expect(admitted).toHaveLength(300)
    expect(mostWithin(60 * SECOND_US, admitted)).toBe(199)
    expect(mostWithin(SECOND_US, admitted)).toBe(101)
    // And no schedule does better.
    const gaps = fc.array(fc.integer({ min: 0, max: 2 * intervalUs }), {
      minLength: 50,
      maxLength: 600,
    })
    fc.assert(
      fc.property(gaps, (steps) => {
        const times = steps.map(
          (
            (sum) => (gap: number) =>
              (sum += gap)
          )(0)
        )
        const admittedTimes = admittedAt(times, request)
        expect(mostWithin(60 * SECOND_US, admittedTimes)).toBeLessThanOrEqual(199)
        expect(mostWithin(1, admittedTimes)).toBeLessThanOrEqual(100)
      }),
      { numRuns: 40 }
    )
  })

  it('refuses requests no store can decide', () => {
    const decide = (request: RateLimitRequest) => () => decideGcra(0, undefined, request)
    expect(decide({ limit: 0, windowMs: 1000, cost: 1 })).toThrow(
      /limit must be a positive integer/
    )
    expect(decide({ limit: 1.5, windowMs: 1000, cost: 1 })).toThrow(RangeError)
    expect(decide({ limit: 10, windowMs: 0, cost: 1 })).toThrow(/windowMs must be positive/)
    expect(decide({ limit: 10, windowMs: NaN, cost: 1 })).toThrow(RangeError)
    expect(decide({ limit: 10, windowMs: 1000, cost: 0.5 })).toThrow(/cost must be an integer/)
    expect(decide({ limit: 2_000_000, windowMs: 1000, cost: 1 })).toThrow(
      /more than one per microsecond/
    )
  })
})

describe('the script and its keys', () => {
  it('names each script by the SHA-1 of its source, as EVALSHA does', () => {
    for (const { source, sha1 } of [gcraScript.plain, gcraScript.keyLocking])
      expect(createHash('sha1').update(source).digest('hex')).toBe(sha1)
    expect(gcraScript.keyLocking.source).toBe(
      `#!lua flags=allow-key-locking\n${gcraScript.plain.source}`
    )
  })

  it('hash-tags the identity, so every key of one identity shares its cluster slot', () => {
    expect(hashTagged('ayz:rl:default:3f2a9c')).toBe('ayz:rl:default:{3f2a9c}')
    expect(hashTagged('3f2a9c')).toBe('{3f2a9c}')
    expect(hashTagged('rl:{org_1}:w')).toBe('rl:{org_1}:w')
    expect(hashTagged('ayz:rl:')).toBe('{ayz:rl:}')
  })
})
