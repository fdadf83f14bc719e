/**
 * @module
 * An Upstash Redis {@link CacheStore} over its REST API: a shared cache for runtimes without TCP
 * (Cloudflare Workers, Deno Deploy, Vercel Edge). Importing this module also lets
 * `STYTCH_CACHE=upstash` select it by configuration.
 */
import { Redis } from '@upstash/redis/cloudflare'
import type { CacheStore } from '../src/cache/cache-store.ts'
import { consumeByScript } from '../src/rate-limit/consume-by-script.ts'
import { gcraScript } from '../src/rate-limit/gcra-script.ts'
import { registerCacheBackend } from '../src/runtime/backends.ts'

/** The commands the store uses, as every `@upstash/redis` client (of every entry point) has them. */
export interface UpstashClient {
  get(key: string): Promise<unknown>
  set(
    key: string,
    value: string,
    options: { px: number } | { px: number; nx: true }
  ): Promise<unknown>
  del(...keys: string[]): Promise<number>
  /** Runs a Lua script from its source, caching it on the server (for rate limits). */
  eval?(script: string, keys: string[], args: string[]): Promise<unknown>
  /** Runs a Lua script the server has cached, by its SHA-1 (for rate limits). */
  evalsha?(sha1: string, keys: string[], args: string[]): Promise<unknown>
}

/** Options of {@link upstashCache}. */
export interface UpstashCacheOptions {
  /** A ready `@upstash/redis` client (create it with `automaticDeserialization: false`). */
  readonly client?: UpstashClient
  /** `UPSTASH_REDIS_REST_URL`, when no client is given. */
  readonly url?: string
  /** `UPSTASH_REDIS_REST_TOKEN`, when no client is given. */
  readonly token?: string
  /** Milliseconds a command may take before the cache counts as down. Default 500. */
  readonly commandTimeoutMs?: number
  /** Milliseconds Upstash is left alone after a failure before one command tries it again. Default 2000. */
  readonly cooldownMs?: number
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500

/**
 * A {@link CacheStore} in Upstash Redis. Retries are bounded (one quick retry of a network failure,
 * not the client's default 4.3 s of backoff); the library bounds every command by
 * `commandTimeoutMs` and stops asking an endpoint that fails for `cooldownMs`.
 *
 * Rate limits (`consume`): one Lua script per decision (GCRA), one HTTP request, sent as EVALSHA
 * (EVAL the first time and after `NOSCRIPT`), with Upstash's `allow-key-locking` flag so that it
 * locks its key, not the database. The clock is this instance's `Date.now()`, sent with each
 * decision: Upstash asks that scripts not read the clock (its EVAL docs), so the server's `TIME` is
 * not relied on there. Instances' clocks should agree (NTP): one running s ms ahead admits units up
 * to s ms early, so a window-long span may hold ⌈s / (window / limit)⌉ more than its usual worst case
 * of 2 · limit − 1 (one more for 100 per minute and a skew under 600 ms); the long-run rate is unchanged.
 *
 * @example
 * ```ts
 * import { upstashCache } from 'ayz-auth/upstash'
 * app.use('*', stytchAuth({ cache: upstashCache({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }) }))
 * ```
 */
export function upstashCache(clientOrOptions: UpstashClient | UpstashCacheOptions): CacheStore {
  const options: UpstashCacheOptions =
    'get' in clientOrOptions ? { client: clientOrOptions } : clientOrOptions
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  const client = options.client ?? ownClient(options, timeoutMs)
  return {
    name: options.url ? `upstash at ${new URL(options.url).origin}` : 'upstash',
    timeoutMs,
    ...(options.cooldownMs ? { cooldownMs: options.cooldownMs } : {}),
    async get(key) {
      const value = await client.get(key)
      return typeof value === 'string' ? value : null
    },
    async set(key, value, ttlSeconds) {
      await client.set(key, value, { px: Math.max(1, Math.ceil(ttlSeconds * 1000)) })
    },
    async delete(key) {
      await client.del(key)
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const px = Math.max(1, Math.ceil(ttlSeconds * 1000))
      return (await client.set(key, value, { px, nx: true })) === 'OK'
    },
    ...(client.eval && client.evalsha
      ? {
          consume: consumeByScript(
            { eval: client.eval.bind(client), evalsha: client.evalsha.bind(client) },
            gcraScript.keyLocking,
            'caller'
          ),
        }
      : {}),
  }
}

function ownClient(options: UpstashCacheOptions, timeoutMs: number): UpstashClient {
  if (!options.url || !options.token)
    throw new TypeError('upstashCache() needs a client, or a url and a token')
  return new Redis({
    url: options.url,
    token: options.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(Math.ceil(timeoutMs)),
  })
}

registerCacheBackend('upstash', (config) => {
  const upstash = config.upstash
  if (!upstash) throw new TypeError('no Upstash URL and token configured')
  return upstashCache(upstash)
})
