import { describe, expect, it } from 'vitest'
import { parseOptions, resolveConfig as resolveParsed } from '../../src/config/resolve-config.ts'
import type { StytchAuthOptions } from '../../src/config/stytch-auth-options.ts'
import { ConfigurationError } from '../../src/errors/auth-error.ts'

/** Options parsed as `stytchAuth()` parses them, then resolved against `vars`. */
const resolveConfig = (options: StytchAuthOptions, vars: Record<string, string>) =>
  resolveParsed(parseOptions(options), vars)

describe('resolveConfig', () => {
  it('has the documented defaults', () => {
    expect(resolveConfig({}, {})).toMatchObject({
      stytchEnv: 'test',
      baseUrl: undefined,
      cache: 'memory',
      ttlSeconds: 300,
      l1TtlSeconds: 10,
      prefix: 'ayz_auth',
      logLevel: 'INFO',
      logSensitiveData: false,
      timeoutMs: 10_000,
      maxRetries: 3,
      mongodb: undefined,
    })
  })

  it('reads every variable, and an option wins over its variable', () => {
    const config = resolveConfig(
      { ttl: 60 },
      {
        STYTCH_PROJECT_ID: 'project-live-1',
        STYTCH_SECRET: 's',
        STYTCH_CACHE_TTL: '120',
        STYTCH_REQUEST_TIMEOUT: '2.5',
        STYTCH_LOG_LEVEL: 'warn',
        STYTCH_LOG_SENSITIVE_DATA: 'TRUE',
        REDIS_URL: 'redis://localhost:6379',
        STYTCH_REDIS_DB: '2',
        MONGODB_URI: 'mongodb://localhost/app',
        MONGODB_DB: 'other',
      }
    )
    expect(config).toMatchObject({
      projectId: 'project-live-1',
      stytchEnv: 'live',
      ttlSeconds: 60,
      timeoutMs: 2500,
      logLevel: 'WARNING',
      logSensitiveData: true,
      cache: 'redis',
      redis: { url: 'redis://localhost:6379', db: 2, variable: 'REDIS_URL' },
      mongodb: { uri: 'mongodb://localhost/app', db: 'other' },
    })
  })

  it('picks upstash when its variables are set, and STYTCH_CACHE overrides the guess', () => {
    const upstash = {
      UPSTASH_REDIS_REST_URL: 'https://x.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 't',
    }
    expect(resolveConfig({}, upstash).cache).toBe('upstash')
    expect(resolveConfig({}, { ...upstash, STYTCH_CACHE: 'none' }).cache).toBe('none')
  })

  it('names the variable and the option in errors', () => {
    expect(() => resolveConfig({}, { STYTCH_CACHE_TTL: 'soon' })).toThrow(
      /STYTCH_CACHE_TTL must be a number \(got "soon"\): fix the variable, or pass `ttl`/
    )
    expect(() => resolveConfig({}, { STYTCH_CACHE: 'memcached' })).toThrow(
      /STYTCH_CACHE must be memory, redis, upstash or none/
    )
    expect(() => resolveConfig({}, { UPSTASH_REDIS_REST_URL: 'nowhere' })).toThrow(
      ConfigurationError
    )
    expect(() =>
      resolveConfig({}, { STYTCH_DATA_API_URL: 'ftp://data.example.com', STYTCH_DATA_API_KEY: 'k' })
    ).toThrow(/STYTCH_DATA_API_URL must be an http:\/\/ or https:\/\/ URL/)
    expect(() => resolveConfig({ ttl: -1 }, {})).toThrow(/option ttl: must be a positive number/)
  })

  it('accepts an https base URL, or http on loopback only', () => {
    expect(resolveConfig({}, { STYTCH_BASE_URL: 'https://login.example.com/' }).baseUrl).toBe(
      'https://login.example.com'
    )
    expect(resolveConfig({}, { STYTCH_BASE_URL: 'http://127.0.0.1:4010' }).baseUrl).toBe(
      'http://127.0.0.1:4010'
    )
    expect(() => resolveConfig({}, { STYTCH_BASE_URL: 'http://stytch.example.com' })).toThrow(
      /STYTCH_BASE_URL must be https/
    )
  })

  it('echoes an invalid value without the credentials of a URL in it, even a password holding @', () => {
    const echoed = (vars: Record<string, string>) => {
      try {
        resolveConfig({}, vars)
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('no configuration error')
    }
    const nodes = echoed({ STYTCH_REDIS_CLUSTER_NODES: 'redis://:hunter@2secret@10.0.0.1:6379' })
    expect(nodes).toContain('(got "redis://…@10.0.0.1:6379")')
    expect(nodes).not.toMatch(/hunter|2secret/)
    const baseUrl = echoed({ STYTCH_BASE_URL: 'http://user:hunter2@stytch.example.com' })
    expect(baseUrl).toContain('(got "http://…@stytch.example.com")')
    expect(baseUrl).not.toContain('hunter2')
    expect(echoed({ STYTCH_REDIS_CLUSTER_NODES: 'user:hunter2@10.0.0.1:6379' })).toContain(
      '(got "…@10.0.0.1:6379")'
    )
  })
})
