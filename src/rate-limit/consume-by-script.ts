import { emissionIntervalUs } from './emission-interval.ts'
import { hashTagged } from './hash-tagged.ts'
import type { RateLimitDecision } from './rate-limit-decision.ts'
import type { RateLimitRequest } from './rate-limit-request.ts'

/** How a store's client runs a script, as `@upstash/redis` spells it (ioredis's `eval` takes the keys spread). */
interface ScriptClient {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>
}

/**
 * The `consume` of a store on a Redis server (or Cluster, or Upstash): one GCRA script per decision,
 * so it is atomic across every instance sharing the server, in one round trip. The script goes as
 * EVAL the first time (which caches it on the server), then as EVALSHA, and as EVAL again when a
 * server answers `NOSCRIPT` (a restart, a failover, `SCRIPT FLUSH`, a cluster node that never ran
 * it). The key is stored hash-tagged ({@link hashTagged}).
 *
 * The clock: `'server'` reads the server's `TIME` inside the script (Redis ≥ 5 replicates a script's
 * effects, so a write after `TIME` is allowed), one clock for every instance; `'caller'` sends this
 * process's `Date.now()`, for servers that ask scripts not to read the clock (Upstash).
 *
 * @example
 * ```ts
 * const consume = consumeByScript(upstash, gcraScript.keyLocking, 'caller')
 * await consume('ayz:rl:default:3f2a9c', { limit: 100, windowMs: 60_000, cost: 1 })
 * // { allowed: true, remaining: 99, resetMs: 600, retryAfterMs: 0 }
 * ```
 */
export function consumeByScript(
  client: ScriptClient,
  script: { readonly source: string; readonly sha1: string },
  clock: 'server' | 'caller'
): (key: string, request: RateLimitRequest) => Promise<RateLimitDecision> {
  // Set once the server has run the script: EVALSHA from then on.
  let cached = false
  return async (key, request) => {
    const keys = [hashTagged(key)]
    const args = [emissionIntervalUs(request), request.limit, request.cost].map(String)
    if (clock === 'caller') args.push(String(Date.now() * 1000))
    if (!cached) {
      const reply = await client.eval(script.source, keys, args)
      cached = true
      return decisionOf(reply)
    }
    try {
      return decisionOf(await client.evalsha(script.sha1, keys, args))
    } catch (error) {
      if (!String(error instanceof Error ? error.message : error).includes('NOSCRIPT')) throw error
      return decisionOf(await client.eval(script.source, keys, args))
    }
  }
}

/** The script's reply `[allowed, remaining, reset µs, retry after µs or −1]` as a decision. */
function decisionOf(reply: unknown): RateLimitDecision {
  const values = Array.isArray(reply) ? reply.map(Number) : []
  const [allowed = NaN, remaining = NaN, resetUs = NaN, retryAfterUs = NaN] = values
  if (values.length !== 4 || values.some(Number.isNaN))
    throw new TypeError(`rate limit: unexpected reply from the script: ${JSON.stringify(reply)}`)
  return {
    allowed: allowed === 1,
    remaining,
    resetMs: resetUs / 1000,
    retryAfterMs: retryAfterUs < 0 ? Infinity : retryAfterUs / 1000,
  }
}
