import { Cluster, Redis } from 'ioredis'
import { Redis as Upstash } from '@upstash/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { upstashCache } from '../../adapters/upstash.ts'
import { memoryCache, type CacheStore } from '../../src/index.ts'
import {
  redisOrSkip,
  startRedisCluster,
  startRedisServer,
  startUpstashServer,
  type RedisCluster,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'

const redisAvailability = redisOrSkip()
if (!redisAvailability.available) console.warn(redisAvailability.reason)

let redis: RedisServer
let upstash: UpstashServer
let cluster: RedisCluster
beforeAll(async () => {
  if (!redisAvailability.available) return
  ;[redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster()])
  upstash = await startUpstashServer({ redisUrl: redis.url })
})
afterAll(async () => {
  await upstash?.close()
  await Promise.all([redis?.stop(), cluster?.stop()])
})

const clusterNodes = () => cluster.nodes.map((node) => `${node.host}:${node.port}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Each store: a name, how to make it, whether it can run here, whether it can push (pub/sub). */
const stores: [string, () => CacheStore, boolean, boolean][] = [
  ['memory', () => memoryCache(), true, false],
  [
    'ioredis + real redis-server',
    () => redisCache({ client: new Redis(redis.url), commandTimeoutMs: 2000 }),
    redisAvailability.available,
    true,
  ],
  [
    'redisCache(url) (its own client, writes held to the end of a turn) + real redis-server',
    () => redisCache({ url: redis.url, commandTimeoutMs: 2000 }),
    redisAvailability.available,
    true,
  ],
  [
    'ioredis Cluster + a real Redis Cluster (three masters, three replicas)',
    () => redisCache({ client: new Cluster(clusterNodes()), commandTimeoutMs: 2000 }),
    redisAvailability.available,
    true,
  ],
  [
    'redisCache({ nodes }) (its own Cluster client) + a real Redis Cluster',
    () => redisCache({ nodes: clusterNodes(), commandTimeoutMs: 2000 }),
    redisAvailability.available,
    true,
  ],
  // The real @upstash/redis client, with its defaults (auto-pipelining, base64 responses).
  [
    '@upstash/redis + REST server + real redis-server',
    () =>
      upstashCache({
        client: new Upstash({
          url: upstash.url,
          token: upstash.token,
          automaticDeserialization: false,
        }),
        commandTimeoutMs: 2000,
      }),
    redisAvailability.available,
    false,
  ],
]

describe.each(stores)('CacheStore contract: %s', (_name, create, available) => {
  let store: CacheStore
  beforeAll(() => {
    if (available) store = create()
  })

  it.skipIf(!available)(
    'gets what was set, null for a missing key, nothing after delete',
    async () => {
      await store.set('contract:a', 'value-a', 60)
      expect(await store.get('contract:a')).toBe('value-a')
      expect(await store.get('contract:missing')).toBeNull()
      await store.delete('contract:a')
      expect(await store.get('contract:a')).toBeNull()
      await store.delete('contract:never-set')
    }
  )

  it.skipIf(!available)(
    'expires an entry after its TTL (fractions of a second allowed)',
    async () => {
      await store.set('contract:ttl', 'short', 0.3)
      expect(await store.get('contract:ttl')).toBe('short')
      await sleep(450)
      expect(await store.get('contract:ttl')).toBeNull()
    }
  )

  it.skipIf(!available)('keeps unicode and binary-looking values intact', async () => {
    const values = [
      'émoji 🎉 ✓ 中文',
      '\u0000\u0001\u007f\u00ff',
      'PONG',
      'abcd',
      'T0s=',
      '{"json":true}',
      '   spaced   ',
      '12345678901234567890',
      'OK',
    ]
    for (const [index, value] of values.entries()) await store.set(`contract:u${index}`, value, 60)
    for (const [index, value] of values.entries())
      expect(await store.get(`contract:u${index}`)).toBe(value)
  })

  it.skipIf(!available)(
    'setIfAbsent stores only when the key is absent, until its TTL',
    async () => {
      expect(store.setIfAbsent).toBeTypeOf('function')
      await store.delete('contract:lock')
      expect(await store.setIfAbsent!('contract:lock', 'first', 0.3)).toBe(true)
      expect(await store.setIfAbsent!('contract:lock', 'second', 0.3)).toBe(false)
      expect(await store.get('contract:lock')).toBe('first')
      await sleep(450)
      expect(await store.setIfAbsent!('contract:lock', 'third', 60)).toBe(true)
    }
  )

  it.skipIf(!available)('stores a 1 MB value', async () => {
    const large = 'x'.repeat(1024 * 1024 - 3) + '✓'
    await store.set('contract:large', large, 60)
    expect(await store.get('contract:large')).toBe(large)
  })

  it.skipIf(!available)(
    'concurrent writers: every key readable, the last write of one key wins whole',
    async () => {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.set(`contract:many:${i}`, `v${i}`, 60))
      )
      const read = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.get(`contract:many:${i}`))
      )
      expect(read).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`))
      const writes = Array.from({ length: 50 }, (_, i) => `writer-${i}-${'y'.repeat(1000)}`)
      await Promise.all(writes.map((value) => store.set('contract:contended', value, 60)))
      expect(writes).toContain(await store.get('contract:contended'))
    }
  )

  it.skipIf(!available)(
    'answers a command sent alone, from a reply, from a timer and from the check phase',
    async () => {
      await store.set('contract:turns', 'here', 60)
      for (let i = 0; i < 20; i++) expect(await store.get('contract:turns')).toBe('here')
      const later = (schedule: (run: () => void) => unknown) =>
        new Promise((resolve, reject) =>
          schedule(() => void store.get('contract:turns').then(resolve, reject))
        )
      expect(await later((run) => setTimeout(run, 5))).toBe('here')
      expect(await later(setImmediate)).toBe('here')
      expect(await later(queueMicrotask)).toBe('here')
      await sleep(50)
      expect(await store.get('contract:turns')).toBe('here')
    }
  )
})

describe.each(stores.filter(([, , , pushes]) => pushes))(
  'CacheStore pub/sub (stores that can push): %s',
  (_name, create, available) => {
    let store: CacheStore
    beforeAll(() => {
      if (available) store = create()
    })

    it.skipIf(!available)(
      'a message published on a channel reaches a listener (stores that can push)',
      async () => {
        const received: string[] = []
        let listening: () => void = () => {}
        const ready = new Promise<void>((resolve) => (listening = resolve))
        const subscription = store.listen!(
          'contract:channel',
          (message) => received.push(message),
          (on) => on && listening()
        )
        await ready
        await store.publish!('contract:channel', 'purge ✓')
        const deadline = Date.now() + 2000
        while (received.length === 0 && Date.now() < deadline) await sleep(10)
        await subscription.stop()
        expect(received).toEqual(['purge ✓'])
      }
    )
  }
)
