import { describe, expect, it } from 'vitest'
import { memoryCache } from '../../src/cache/memory-cache.ts'
import { LocalTier } from '../../src/cache/local-tier.ts'

describe('LocalTier', () => {
  it('evicts the least recently used entry when full', () => {
    const map = new LocalTier<number>(2)
    map.set('a', 1, 1000)
    map.set('b', 2, 1000)
    map.get('a')
    map.set('c', 3, 1000)
    expect([...map.entries()].map(([key]) => key)).toEqual(['a', 'c'])
  })

  it('keeps a hot entry through many insertions without re-inserting it on every hit', () => {
    const map = new LocalTier<number>(100)
    map.set('hot', 0, 60_000)
    for (let i = 0; i < 1000; i++) {
      map.set(`cold-${i}`, i, 60_000)
      expect(map.get('hot')).toBe(0)
    }
    expect(map.size).toBe(100)
  })

  it('drops an entry once its TTL has passed', () => {
    const map = new LocalTier<number>(10)
    map.set('a', 1, 100, 0)
    expect(map.get('a', 99)).toBe(1)
    expect(map.get('a', 100)).toBeUndefined()
    expect(map.size).toBe(0)
  })

  it('stores nothing for a TTL already over, and drops what the key held', () => {
    const map = new LocalTier<number>(1)
    map.set('a', 1, 1000)
    map.set('a', 2, 0)
    map.set('b', 3, -5)
    expect(map.get('a')).toBeUndefined()
    expect(map.size).toBe(0)
  })

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LocalTier(0)).toThrow(RangeError)
  })
})

describe('memoryCache', () => {
  it('is a bounded CacheStore of strings with TTLs', async () => {
    const cache = memoryCache({ maxEntries: 2 })
    await cache.set('a', 'v', 60)
    await cache.set('b', 'w', 0.05)
    expect(await cache.get('a')).toBe('v')
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await cache.get('b')).toBeNull()
    await cache.set('c', 'x', 60)
    await cache.set('d', 'y', 60)
    expect([...cache.entries()].map(([key]) => key)).toEqual(['c', 'd'])
    await cache.delete('c')
    expect(await cache.get('c')).toBeNull()
  })
})
