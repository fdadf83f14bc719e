/** The Lua body: `decideGcra` line by line, times in µs, returning {allowed, remaining, reset, retry after (−1: never)}. */
const GCRA_LUA = `-- GCRA, transcribed from ayz-auth's src/rate-limit/gcra.ts (times in microseconds).
-- KEYS[1]: the key's theoretical arrival time, kept until its budget is full again.
-- ARGV: emission interval, limit, cost (negative: units given back), and the caller's clock
-- (absent: the server's TIME).
local interval, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
  local time = redis.call('TIME')
  now = time[1] * 1000000 + time[2]
end
local tolerance = interval * limit
local backlog = math.max((tonumber(redis.call('GET', KEYS[1])) or now) - now, 0)
local function decision(allowed, left, retry_after)
  local remaining = math.max(math.floor((tolerance - left) / interval), 0)
  local reset = left
  if remaining == 0 then reset = left - tolerance + interval end
  return { allowed, remaining, reset, retry_after }
end
if cost > limit then return decision(0, backlog, -1) end
local after = math.max(backlog + cost * interval, 0)
if after > tolerance then return decision(0, backlog, after - tolerance) end
if cost > 0 or (cost < 0 and backlog > 0) then
  if after > 0 then
    redis.call('SET', KEYS[1], string.format('%.0f', now + after), 'PX', math.ceil(after / 1000))
  else
    redis.call('DEL', KEYS[1])
  end
end
return decision(1, after, 0)
`

/**
 * The rate-limit decision as one Lua script (the transcription of `decideGcra`), with the SHA-1 that
 * EVALSHA names it by. `plain` is for Redis and Redis Cluster (it touches only `KEYS[1]`); `keyLocking`
 * is the same behind Upstash's `#!lua flags=allow-key-locking` shebang, so that a decision locks its
 * key rather than the whole database (Upstash's default for scripts); Redis itself refuses that flag.
 *
 * Arguments: `KEYS[1]` the key (hash-tagged), `ARGV` the emission interval in µs, the limit, the cost
 * (negative: units given back) and, optionally, the caller's clock in µs since the epoch (absent: the server's `TIME`). Reply:
 * `[allowed 0|1, remaining, reset µs, retry after µs (−1: never)]`.
 *
 * @example
 * ```ts
 * await redis.evalsha(gcraScript.plain.sha1, 1, 'ayz:rl:{3f2a9c}', '600000', '100', '1')
 * // [1, 99, 600000, 0]
 * ```
 */
export const gcraScript = {
  plain: { source: GCRA_LUA, sha1: '0a0c2be325de88a9db9467db7774774aa1fb3955' },
  keyLocking: {
    source: `#!lua flags=allow-key-locking\n${GCRA_LUA}`,
    sha1: '261caf939e8d15ea1a9d3cea75ae8c987663129a',
  },
} as const
