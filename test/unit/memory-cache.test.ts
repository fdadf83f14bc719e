import { describe, expect, it } from 'vitest'
import { LruTtlMap } from '../../src/cache/lru-ttl-map.ts'
import { memoryCache } from '../../src/cache/memory-cache.ts'

describe('LruTtlMap', () => {
  it('evicts the least recently used entry when full', () => {
    const map = new LruTtlMap<number>(2)
    map.set('a', 1, 1000)
    map.set('b', 2, 1000)
    map.get('a')
    map.set('c', 3, 1000)
    expect([...map.entries()].map(([key]) => key)).toEqual(['a', 'c'])
  })

  it('drops an entry once its TTL has passed', () => {
    const map = new LruTtlMap<number>(10)
    map.set('a', 1, 100, 0)
    expect(map.get('a', 99)).toBe(1)
    expect(map.get('a', 100)).toBeUndefined()
    expect(map.size).toBe(0)
  })

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruTtlMap(0)).toThrow(RangeError)
  })
})

describe('memoryCache', () => {
  it('keeps strings for the CacheStore API and objects for the in-process tier apart', async () => {
    const cache = memoryCache({ maxEntries: 10 })
    cache.put('object', { a: 1 }, 1000)
    await cache.set('string', 'v', 1)
    expect(await cache.get('object')).toBeNull()
    expect(await cache.get('string')).toBe('v')
    expect(cache.peek('object')).toEqual({ a: 1 })
    cache.remove('object')
    expect(cache.peek('object')).toBeUndefined()
  })
})
