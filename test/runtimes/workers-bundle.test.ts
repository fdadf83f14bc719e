/**
 * Bundle discipline of the Workers example: the module `wrangler deploy` would upload holds the
 * HTTP backends it imports (Upstash, Data API) and nothing of the TCP drivers (ioredis, mongodb)
 * or of Node's built-ins, and stays small. Its size is printed for the README. The same holds for
 * an Auth0 Worker (`auth0Auth()` with Upstash).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWorker, type BuiltWorker } from './build-worker.ts'

/** Regression budget for the gzip size (the Workers free plan allows 3 MiB). */
const GZIP_BUDGET_BYTES = 160 * 1024

let worker: BuiltWorker
beforeAll(async () => {
  worker = await buildWorker()
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  console.log(
    `Workers example bundle (${worker.file}): ${kib(worker.size.raw)} raw, ${kib(worker.size.gzip)} gzip`
  )
})
afterAll(() => worker?.remove())

/** Packages that went into a bundle, from its source map. */
const packagesOf = (worker: BuiltWorker) =>
  new Set(
    worker.sources.flatMap(
      (source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(source)?.[1] ?? []
    )
  )
const packages = () => packagesOf(worker)
const importsIn = (worker: BuiltWorker, specifier: RegExp) =>
  [...worker.code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)]
    .map((match) => match[1] ?? '')
    .filter((name) => specifier.test(name))
const importsOf = (specifier: RegExp) => importsIn(worker, specifier)

describe('the Workers example bundle', () => {
  it('holds the Upstash and Data API adapters it imports, from the built package', () => {
    expect(worker.sources.some((source) => source.endsWith('dist/upstash.js'))).toBe(true)
    expect(worker.sources.some((source) => source.endsWith('dist/data-api.js'))).toBe(true)
    expect(packages()).toContain('@upstash/redis')
  })

  it('holds neither ioredis nor the MongoDB driver (nor their adapters)', () => {
    const drivers = [...packages()].filter((name) =>
      /^(ioredis|mongodb|bson|@mongodb-js\/.*|redis-parser|denque)$/.test(name)
    )
    expect(drivers).toEqual([])
    expect(worker.sources.filter((source) => /dist\/(ioredis|mongodb)\.js$/.test(source))).toEqual(
      []
    )
    expect(importsOf(/^(ioredis|mongodb|bson)(\/|$)/)).toEqual([])
    expect(worker.code).not.toMatch(/\bMongoClient\b|\bclass Cluster\b/)
  })

  it('holds no OpenTelemetry code: telemetry is not imported there', () => {
    expect([...packages()].filter((name) => name.startsWith('@opentelemetry/'))).toEqual([])
    expect(worker.sources.filter((source) => source.endsWith('dist/opentelemetry.js'))).toEqual([])
    expect(importsOf(/^@opentelemetry\//)).toEqual([])
  })

  it('imports no node: built-in, and runs without nodejs_compat', () => {
    expect(importsOf(/^node:|^(crypto|buffer|events|stream|net|tls|util)$/)).toEqual([])
    expect(worker.compatibilityFlags).not.toContain('nodejs_compat')
  })

  it('sets a compatibility date on which Workers accept the SDK\'s cache: "no-store"', () => {
    expect(worker.compatibilityDate >= '2024-11-11').toBe(true)
  })

  it(`stays under ${GZIP_BUDGET_BYTES / 1024} KiB gzip`, () => {
    expect(worker.size.gzip).toBeLessThan(GZIP_BUDGET_BYTES)
  })
})

describe('an Auth0 Worker bundle (auth0Auth with Upstash)', () => {
  let auth0Worker: BuiltWorker
  beforeAll(async () => {
    auth0Worker = await buildWorker('test/runtimes/auth0-worker.ts')
  })
  afterAll(() => auth0Worker?.remove())

  it('holds the Upstash adapter and neither ioredis nor the MongoDB driver (nor their adapters)', () => {
    expect(auth0Worker.sources.some((source) => source.endsWith('dist/upstash.js'))).toBe(true)
    expect(packagesOf(auth0Worker)).toContain('@upstash/redis')
    expect(
      [...packagesOf(auth0Worker)].filter((name) =>
        /^(ioredis|mongodb|bson|@mongodb-js\/.*|redis-parser|denque)$/.test(name)
      )
    ).toEqual([])
    expect(
      auth0Worker.sources.filter((source) => /dist\/(ioredis|mongodb)\.js$/.test(source))
    ).toEqual([])
    expect(importsIn(auth0Worker, /^(ioredis|mongodb|bson)(\/|$)|^node:/)).toEqual([])
    expect(auth0Worker.code).not.toMatch(/\bMongoClient\b|\bclass Cluster\b/)
  })
})
