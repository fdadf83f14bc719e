/**
 * @module
 * Backends chosen by configuration (`STYTCH_REDIS_URL=…`, `STYTCH_MONGODB_URI=…`), without the core
 * importing their client libraries. Each adapter module registers its backend when it is imported
 * (`import 'ayz-auth/upstash'`), so a bundle holds only the backends its code imports: a Workers
 * bundle never contains ioredis or the MongoDB driver. On Node, Bun and Deno with a `node_modules`
 * folder, a backend that was never imported is loaded on first use instead.
 */
import type { CacheStore } from '../cache/cache-store.ts'
import type { ResolvedConfig } from '../config/resolve-config.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import type { OpenTelemetryApi } from '../telemetry/telemetry.ts'

/** Builds a cache store from the resolved settings. */
export type CacheBackend = (config: ResolvedConfig) => CacheStore
/** Builds an entitlement source from the resolved settings. */
export type EntitlementBackend = (config: ResolvedConfig) => EntitlementSource

/** Each backend: the adapter module that provides it, and the client library that adapter needs. */
const MODULES = {
  redis: { adapter: 'ayz-auth/ioredis', library: 'ioredis' },
  upstash: { adapter: 'ayz-auth/upstash', library: '@upstash/redis' },
  mongodb: { adapter: 'ayz-auth/mongodb', library: 'mongodb' },
  'data-api': { adapter: 'ayz-auth/data-api', library: undefined },
  opentelemetry: { adapter: 'ayz-auth/opentelemetry', library: '@opentelemetry/api' },
} as const

type CacheName = 'redis' | 'upstash'
type EntitlementName = 'mongodb' | 'data-api'

const registry = new Map<string, CacheBackend | EntitlementBackend | OpenTelemetryApi>()

/**
 * Registers a cache backend under a name (adapter modules do this when imported).
 *
 * @example
 * ```ts
 * registerCacheBackend('redis', (config) => redisCache(config.redis!.url))
 * ```
 */
export function registerCacheBackend(name: CacheName, backend: CacheBackend): void {
  registry.set(name, backend)
}

/**
 * Registers an entitlement backend under a name (adapter modules do this when imported).
 *
 * @example
 * ```ts
 * registerEntitlementBackend('mongodb', (config) => mongoEntitlements(config.mongodb!.uri))
 * ```
 */
export function registerEntitlementBackend(
  name: EntitlementName,
  backend: EntitlementBackend
): void {
  registry.set(name, backend)
}

/**
 * The cache backend `name`, importing its adapter module if needed.
 *
 * @example
 * ```ts
 * const store = (await cacheBackend('upstash', config))(config)
 * ```
 */
export function cacheBackend(name: CacheName, config: ResolvedConfig): Promise<CacheBackend> {
  return registered<CacheBackend>(name, config.cacheChosenBy)
}

/**
 * The entitlement backend `name`, importing its adapter module if needed.
 *
 * @example
 * ```ts
 * const source = (await entitlementBackend('mongodb', config))(config)
 * ```
 */
export function entitlementBackend(
  name: EntitlementName,
  config: ResolvedConfig
): Promise<EntitlementBackend> {
  const chosenBy =
    name === 'mongodb'
      ? `${config.mongodb?.variable ?? 'STYTCH_MONGODB_URI'} is set`
      : 'STYTCH_DATA_API_URL is set'
  return registered<EntitlementBackend>(name, chosenBy)
}

/**
 * Hands the library `@opentelemetry/api` (the `ayz-auth/opentelemetry` module does this when
 * imported), so the core never imports it.
 *
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api'
 * registerOpenTelemetry(api)
 * ```
 */
export function registerOpenTelemetry(api: OpenTelemetryApi): void {
  registry.set('opentelemetry', api)
}

/**
 * `@opentelemetry/api`, importing `ayz-auth/opentelemetry` if needed.
 *
 * @example
 * ```ts
 * const api = await openTelemetryApi()
 * ```
 */
export function openTelemetryApi(): Promise<OpenTelemetryApi> {
  return registered<OpenTelemetryApi>('opentelemetry', 'telemetry is on')
}

async function registered<T>(name: keyof typeof MODULES, chosenBy: string): Promise<T> {
  const { adapter, library } = MODULES[name]
  if (!registry.has(name)) {
    try {
      // A computed specifier: bundlers leave it alone, so unused backends stay out of bundles.
      await import(/* @vite-ignore */ adapter)
    } catch (error) {
      const missing = library && String(error).includes(`'${library}'`)
      throw new ConfigurationError(
        missing
          ? `${chosenBy}, so ${adapter} needs the ${library} package: run \`npm install ${library}\``
          : `${chosenBy}, so the app needs ${adapter}: add \`import '${adapter}'\` to it (required on Workers and with JSR imports, where adapters cannot be loaded on demand)`,
        { cause: error }
      )
    }
  }
  const backend = registry.get(name)
  if (!backend)
    throw new ConfigurationError(`${adapter} was loaded but did not register its backend`)
  return backend as T
}

/** What adapters opened (connections, pools), closed by `closeAuth()`. */
const opened = new Set<{ close(): Promise<void> }>()

/**
 * Records something an adapter opened (a connection it created from a URL), for `closeAuth()`.
 * Clients the user passed in are never recorded: they are the user's to close.
 *
 * @example
 * ```ts
 * const client = new Redis(url, options)
 * closedByCloseAuth({ close: () => client.quit().then(() => {}) })
 * ```
 */
export function closedByCloseAuth(resource: { close(): Promise<void> }): void {
  opened.add(resource)
}

/**
 * Closes and forgets everything recorded by {@link closedByCloseAuth}.
 *
 * @example
 * ```ts
 * await closeOpened()
 * ```
 */
export async function closeOpened(): Promise<void> {
  const closing = [...opened]
  opened.clear()
  await Promise.allSettled(closing.map((resource) => resource.close()))
}
