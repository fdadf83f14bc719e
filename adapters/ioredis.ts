/**
 * @module
 * A Redis {@link CacheStore} over ioredis, for apps that run many instances: a session verified by
 * one instance is a cache hit on every other, a revocation reaches every instance at once (pub/sub),
 * and a cold token is verified once per fleet (a short lock). A single server or a Redis Cluster.
 * Importing this module also lets `STYTCH_REDIS_URL` or `STYTCH_REDIS_CLUSTER_NODES` (or
 * `STYTCH_CACHE=redis`) select it by configuration.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { CacheStore } from '../src/cache/cache-store.ts'
import { withoutUserinfo } from '../src/log/without-userinfo.ts'
import { consumeByScript } from '../src/rate-limit/consume-by-script.ts'
import { gcraScript } from '../src/rate-limit/gcra-script.ts'
import type { RateLimitRequest } from '../src/rate-limit/rate-limit-request.ts'
import { closedByCloseAuth, registerCacheBackend } from '../src/runtime/backends.ts'
import { withTimeout } from '../src/runtime/with-timeout.ts'

/**
 * The commands the store sends, as every ioredis client has them: a `Redis`, a `Cluster`, or one
 * made by another copy or major version of ioredis.
 */
export interface RedisClient {
  get(key: string): Promise<string | null>
  set(
    key: string,
    value: string,
    mode: 'PX',
    milliseconds: number,
    condition?: 'NX'
  ): Promise<unknown>
  del(...keys: string[]): Promise<number>
  publish?(channel: string, message: string): Promise<unknown>
  /** Runs a Lua script from its source, caching it on the server (for rate limits). */
  eval?(script: string, numberOfKeys: number, ...keysAndArguments: string[]): Promise<unknown>
  /** Runs a Lua script the server has cached, by its SHA-1 (for rate limits). */
  evalsha?(sha1: string, numberOfKeys: number, ...keysAndArguments: string[]): Promise<unknown>
  /** A new client with the same settings (ioredis's `duplicate()`), for the pub/sub connection. */
  duplicate?(): RedisClient & SubscriberClient
}

/** What the pub/sub connection of the store uses. */
interface SubscriberClient {
  subscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'end' | 'ready' | 'connect', listener: () => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  connect?(): Promise<void>
  quit?(): Promise<unknown>
  disconnect(): void
  readonly status?: string
}

/** Options of {@link redisCache}. */
export interface RedisCacheOptions {
  /** A ready ioredis client (`Redis` or `Cluster`); its own options are left as they are. */
  readonly client?: RedisClient
  /** `redis://[:password@]host:port[/db]` (or `rediss://`), when no client is given. */
  readonly url?: string
  /** A Redis Cluster's nodes (`host:port`, some or all), when no client or URL is given. */
  readonly nodes?: readonly string[]
  readonly password?: string
  readonly db?: number
  /** Milliseconds a command may take before the cache counts as down. Default 250. */
  readonly commandTimeoutMs?: number
  /** Milliseconds Redis is left alone after a failure before one command tries it again. Default 2000. */
  readonly cooldownMs?: number
}

/** A client this module created: connected on demand, idle without holding the process. */
interface OwnClient {
  readonly client: Redis | Cluster
  readonly location: string
  /**
   * Sends a command once the client is ready, connecting it (again) if needed. On a single server,
   * the commands of one turn of the event loop leave in one write.
   */
  send<T>(command: () => Promise<T>): Promise<T>
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250
/** Longest a close waits for a connection's sockets to be gone. */
const CLOSE_WAIT_MS = 2_000
/** Longest pause between two attempts to bring a lost subscription back. */
const MAX_RESUBSCRIBE_DELAY_MS = 5_000
const clients = new Map<string, OwnClient>()

/**
 * A {@link CacheStore} in Redis or a Redis Cluster. Fails fast when Redis is down: nothing queues
 * while disconnected, and the library bounds every command by `commandTimeoutMs` and stops asking
 * a failed Redis for `cooldownMs`; meanwhile it keeps serving from process memory and Stytch. A
 * client made from a URL or nodes is shared per process, connects on first use (and again after an
 * outage), never keeps an idle script from exiting, and is closed by `closeAuth()`.
 *
 * Rate limits (`consume`): one Lua script per decision (GCRA), sent as EVALSHA (EVAL the first time
 * and after `NOSCRIPT`), so a decision is atomic across every instance and takes one round trip. It
 * reads the Redis server's clock (`TIME`; Redis ≥ 5, which replicates a script's effects), so the
 * instances' clocks play no part. The key is stored hash-tagged (`ayz:rl:x:3f2a` →
 * `ayz:rl:x:{3f2a}`), one key per identity, with a TTL until its budget is full again.
 *
 * @example
 * ```ts
 * import { redisCache } from 'ayz-auth/ioredis'
 * app.use('*', stytchAuth({ cache: redisCache(process.env.REDIS_URL!) }))
 * // or your own client: redisCache(new Redis(…)), redisCache(new Cluster([…])),
 * // or options: redisCache({ url, db: 2 }), redisCache({ nodes: ['10.0.0.1:6379', '10.0.0.2:6379'] })
 * ```
 */
export function redisCache(
  clientOrUrlOrOptions: RedisClient | string | RedisCacheOptions
): CacheStore {
  const options: RedisCacheOptions =
    typeof clientOrUrlOrOptions === 'string'
      ? { url: clientOrUrlOrOptions }
      : isRedisClient(clientOrUrlOrOptions)
        ? { client: clientOrUrlOrOptions }
        : clientOrUrlOrOptions
  if (options.client !== undefined && !isRedisClient(options.client))
    throw new TypeError(
      'redisCache(): `client` has no get, set and del methods: pass an ioredis Redis or Cluster'
    )
  const own = options.client ? undefined : ownClient(options)
  const client: RedisClient = options.client ?? (own as OwnClient).client
  const command: OwnClient['send'] = own ? own.send : (send) => send()
  const px = (ttlSeconds: number) => Math.max(1, Math.ceil(ttlSeconds * 1000))
  const subscriber = subscriberFor(client, own !== undefined)
  const consume = consumeOn(client)
  return {
    name: own ? `redis at ${own.location}` : 'redis',
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    ...(options.cooldownMs ? { cooldownMs: options.cooldownMs } : {}),
    get: (key) => command(() => client.get(key)),
    set: (key, value, ttlSeconds) =>
      command(async () => {
        await client.set(key, value, 'PX', px(ttlSeconds))
      }),
    delete: (key) =>
      command(async () => {
        await client.del(key)
      }),
    setIfAbsent: (key, value, ttlSeconds) =>
      command(async () => (await client.set(key, value, 'PX', px(ttlSeconds), 'NX')) === 'OK'),
    ...(client.publish
      ? {
          publish: (channel: string, message: string) =>
            command(async () => {
              await client.publish?.(channel, message)
            }),
        }
      : {}),
    ...(subscriber ? { listen: listenWith(subscriber) } : {}),
    ...(consume
      ? {
          consume: (key: string, request: RateLimitRequest) => command(() => consume(key, request)),
        }
      : {}),
  }
}

/** The rate-limit decision on `client`, by the server's clock, if the client can run scripts. */
function consumeOn(client: RedisClient) {
  const { eval: evaluate, evalsha } = client
  if (!evaluate || !evalsha) return undefined
  return consumeByScript(
    {
      eval: (script, keys, args) => evaluate.call(client, script, keys.length, ...keys, ...args),
      evalsha: (sha1, keys, args) => evalsha.call(client, sha1, keys.length, ...keys, ...args),
    },
    gcraScript.plain,
    'server'
  )
}

function isRedisClient(value: unknown): value is RedisClient {
  const candidate = value as Partial<Record<keyof RedisClient, unknown>> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.del === 'function'
  )
}

/** The store's pub/sub connection: one at a time, made anew after it ends unless it reconnects. */
interface SubscriberConnection {
  readonly client: SubscriberClient
  ready(): Promise<void>
  /** Whether the client reconnects by itself (a duplicate of the user's client): kept after an end. */
  readonly reconnects: boolean
}

/** A cluster client, as far as finding a node to subscribe on goes. */
interface ClusterNodes {
  nodes(role: 'master'): readonly { duplicate(override?: RedisOptions): SubscriberClient }[]
}

/**
 * How the store makes its pub/sub connection, if it can. A cluster's is a plain connection to one
 * master (a PUBLISH reaches every node of a cluster), the next master after each loss: ioredis's own
 * cluster subscriber, while a node is down, disconnects its last subscriber again and again
 * (redis/ioredis#2030). A single server's is a duplicate of the client: the user's reconnects by
 * itself, the library's own is made anew.
 */
function subscriberFor(
  client: RedisClient,
  own: boolean
): (() => SubscriberConnection) | undefined {
  const cluster = client as Partial<ClusterNodes>
  if (typeof cluster.nodes === 'function') {
    const nodes = cluster as ClusterNodes
    let turn = 0
    return () => {
      const masters = nodes.nodes('master')
      const node = masters[turn++ % Math.max(1, masters.length)]
      if (!node) throw new Error('no cluster node known yet')
      return subscriberOf(
        node.duplicate({ lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false }),
        false
      )
    }
  }
  const { duplicate } = client
  return duplicate ? () => subscriberOf(duplicate.call(client), !own) : undefined
}

function subscriberOf(client: SubscriberClient, reconnects: boolean): SubscriberConnection {
  // A lost subscription is reported by the store, once; the client's errors add nothing.
  client.on('error', () => {})
  // The subscription never keeps a script alive.
  client.on('connect', () => (client as { stream?: { unref?(): void } }).stream?.unref?.())
  return {
    client,
    reconnects,
    ready: () =>
      client.status === 'ready' || !client.connect ? Promise.resolve() : client.connect(),
  }
}

/**
 * Listening on a channel with a connection of its own: messages go to `onMessage`; a lost
 * connection is reported (`onState(false)`) and brought back by itself, with a growing pause
 * between attempts that never keeps the process alive; `onState(true)` once it listens again.
 */
function listenWith(connect: () => SubscriberConnection) {
  return (
    channel: string,
    onMessage: (message: string) => void,
    onState: (listening: boolean) => void
  ): { stop(): Promise<void> } => {
    let connection: SubscriberConnection | undefined
    let stopped = false
    let listening = false
    let attempt = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const open = () => {
      const opened = connect()
      opened.client.on('message', (from, message) => {
        if (from === channel) onMessage(message)
      })
      opened.client.on('end', () => {
        if (stopped || opened !== connection) return
        // Lost after listening: reported once; a first connection that failed is retried quietly.
        if (listening) onState((listening = false))
        if (!opened.reconnects) connection = undefined
        retry()
      })
      return opened
    }
    const start = async () => {
      if (stopped) return
      try {
        const current = (connection ??= open())
        await current.ready()
        await current.client.subscribe(channel)
        attempt = 0
        onState((listening = true))
      } catch {
        retry()
      }
    }
    const retry = () => {
      if (stopped || timer) return
      const delay = Math.min(MAX_RESUBSCRIBE_DELAY_MS, 250 * 2 ** attempt++)
      timer = setTimeout(() => {
        timer = undefined
        void start()
      }, delay)
      ;(timer as { unref?: () => void }).unref?.()
    }
    void start()
    return {
      async stop() {
        stopped = true
        clearTimeout(timer)
        if (connection) await closed(connection.client)
      },
    }
  }
}

/** The process's client for a URL or cluster, password and database: created once, connected on demand. */
function ownClient(options: RedisCacheOptions): OwnClient {
  const { url, nodes } = options
  if (!url && !nodes?.length)
    throw new TypeError(
      'redisCache() needs an ioredis client, a redis:// URL, or options with a url or cluster nodes'
    )
  if (url && !/^rediss?:\/\/./i.test(url))
    throw new TypeError(
      `redisCache(): the URL must start with redis:// or rediss:// (got ${locationOf(url)})`
    )
  const key = JSON.stringify([url ?? nodes, options.password ?? null, options.db ?? null])
  let own = clients.get(key)
  if (!own) {
    own = createClient(options)
    clients.set(key, own)
    const created = own
    closedByCloseAuth({
      close: async () => {
        clients.delete(key)
        await closed(created.client)
      },
    })
  }
  return own
}

function createClient(options: RedisCacheOptions): OwnClient {
  const { url, nodes, password, db } = options
  const connection: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    ...(password ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
  }
  // No reconnection loop of its own: the next command after an outage connects again, paced by
  // the library's breaker, so a dead Redis leaves no timer behind.
  const client = url
    ? new Redis(url, { ...connection, enableOfflineQueue: false, retryStrategy: () => null })
    : new Cluster(nodes as string[], {
        lazyConnect: true,
        // A command goes to its key's node; the commands of one turn leave in one write per node.
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: () => null,
        retryDelayOnFailover: 50,
        redisOptions: connection,
      } satisfies ClusterOptions)
  // Failures surface on commands (and in the library's "cache degraded" log), not as crashes.
  let lastError: unknown
  client.on('error', (error: unknown) => (lastError = error))
  // An idle connection does not keep a script alive; a command in flight is held by its timeout.
  const unref = (node: Redis) =>
    (node as unknown as { stream?: { unref?(): void } }).stream?.unref?.()
  if (client instanceof Redis) client.on('connect', () => unref(client))
  else client.on('+node', (node: Redis) => node.on('connect', () => unref(node)))
  let connecting: Promise<void> | undefined
  const ready = () => {
    lastError = undefined
    connecting ??= client
      .connect()
      .catch((error: unknown) => {
        // Without a retry strategy a failed connection ends by itself (a disconnect() here would
        // leave a 2 s timer of ioredis behind, holding the process).
        if (client.status !== 'end' && client.status !== 'wait') client.disconnect()
        // ioredis rejects with "Connection is closed."; the 'error' event said why.
        throw new Error(reasonOf(lastError ?? error))
      })
      .finally(() => (connecting = undefined))
    return connecting
  }
  const batched = client instanceof Redis ? writesBatched(client) : undefined
  return {
    client,
    location: url
      ? locationOf(url, db)
      : `cluster ${(nodes ?? []).map((node) => locationOf(node)).join(',')}`,
    // A ready client sends at once (the common case costs no extra promise).
    send(command) {
      if (client.status !== 'ready') return ready().then(command)
      batched?.()
      return command()
    },
  }
}

/**
 * Holds a connection's writes until the check phase of the event loop's turn, so the commands of
 * concurrent requests leave in one write. ioredis's auto-pipelining batches writes too, but it
 * sends one pipeline at a time and answers each command through the pipeline and a tick of its
 * own: under load, a quarter more server CPU per shared-tier hit (bench row `l2-redis`).
 */
function writesBatched(client: Redis): () => void {
  let corked: Redis['stream'] | undefined
  const flush = () => {
    corked?.uncork()
    corked = undefined
  }
  return () => {
    if (corked) return
    corked = client.stream
    corked.cork()
    setImmediate(flush)
  }
}

/** A connection as {@link closed} closes it: a `Redis`, a `Cluster`, or a subscriber. */
interface Closable {
  readonly status?: string
  quit?(): Promise<unknown>
  disconnect(): void
  on(event: 'end', listener: () => void): unknown
}

/**
 * Closes a connection (QUIT when it is ready, else a disconnect) and resolves once its sockets are
 * gone (ioredis's `end`), at most {@link CLOSE_WAIT_MS} later. A connection that never opened, or
 * is gone already, is left alone: a disconnect there would leave a timer of ioredis behind.
 */
async function closed(client: Closable): Promise<void> {
  if (client.status === 'end' || client.status === 'wait') return
  const ended = new Promise<void>((resolve) => client.on('end', resolve))
  // Held until closed: idle sockets are unref'd.
  const sockets =
    client instanceof Cluster ? client.nodes('all') : [client as unknown as { stream?: object }]
  for (const node of sockets) (node as { stream?: { ref?(): void } }).stream?.ref?.()
  if (client.status === 'ready' && client.quit) await client.quit().catch(() => client.disconnect())
  else client.disconnect()
  await withTimeout(CLOSE_WAIT_MS, () => ended).catch(() => undefined)
}

/** The URL without its credentials, e.g. `redis://cache:6379/2`. */
function locationOf(url: string, db?: number): string {
  const shown = withoutCredentials(url)
  return db !== undefined && !/\/\d+$/.test(shown) ? `${shown.replace(/\/$/, '')}/${db}` : shown
}

/**
 * `url` without its username, password and query (ioredis reads `?password=` too). A value that is
 * no URL with a host (`host:port`, a typo) loses everything up to its last `@` instead.
 */
function withoutCredentials(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (!parsed?.host) return withoutUserinfo(url)
  parsed.username = ''
  parsed.password = ''
  parsed.search = ''
  return parsed.href
}

/** Why connecting failed, in words: `connection refused`, `host not found`, … */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  if (code === 'ETIMEDOUT') return 'connection timed out'
  return error instanceof Error ? error.message : String(error)
}

registerCacheBackend('redis', (config) => {
  const redis = config.redis
  if (!redis) throw new TypeError('no Redis URL or cluster nodes configured')
  return redisCache({
    ...('nodes' in redis ? { nodes: redis.nodes } : { url: redis.url, db: redis.db }),
    ...(redis.password ? { password: redis.password } : {}),
  })
})
