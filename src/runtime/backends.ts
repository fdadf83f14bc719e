/**
 * @module
 * Backends chosen by name in configuration (`STYTCH_CACHE=redis`, `STYTCH_MONGODB_URI=…`), without
 * the core importing their client libraries. Each adapter module registers its backend when it is
 * imported (`import 'ayz-auth/upstash'`), so a bundle holds only the backends its code imports:
 * a Workers bundle never contains ioredis or the MongoDB driver. On Node, Bun and Deno with a
 * `node_modules` folder, a backend that was never imported is loaded on first use instead.
 */
import type { CacheStore } from '../cache/cache-store.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import { ConfigurationError } from '../errors/configuration-error.ts'
import type { ResolvedConfig } from '../config/resolve-config.ts'

/** Builds a cache store from the resolved settings. */
export type CacheBackend = (config: ResolvedConfig) => CacheStore
/** Builds an entitlement source from the resolved settings. */
export type EntitlementBackend = (config: ResolvedConfig) => EntitlementSource

/** Backend names and the adapter module that provides each. */
const CACHE_MODULES = { redis: 'ayz-auth/ioredis', upstash: 'ayz-auth/upstash' } as const
const ENTITLEMENT_MODULES = {
  mongodb: 'ayz-auth/mongodb',
  'data-api': 'ayz-auth/data-api',
} as const

const cacheBackends = new Map<string, CacheBackend>()
const entitlementBackends = new Map<string, EntitlementBackend>()

/**
 * Registers a cache backend under a name (adapter modules do this when imported).
 *
 * @example
 * ```ts
 * registerCacheBackend('redis', (config) => redisCache(config.redis!.url))
 * ```
 */
export function registerCacheBackend(
  name: keyof typeof CACHE_MODULES,
  backend: CacheBackend
): void {
  cacheBackends.set(name, backend)
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
  name: keyof typeof ENTITLEMENT_MODULES,
  backend: EntitlementBackend
): void {
  entitlementBackends.set(name, backend)
}

/**
 * The registered cache backend `name`, importing its adapter module if needed.
 *
 * @example
 * ```ts
 * const store = (await cacheBackend('upstash'))(config)
 * ```
 */
export function cacheBackend(name: keyof typeof CACHE_MODULES): Promise<CacheBackend> {
  return registered(cacheBackends, name, CACHE_MODULES[name], `STYTCH_CACHE=${name}`)
}

/**
 * The registered entitlement backend `name`, importing its adapter module if needed.
 *
 * @example
 * ```ts
 * const source = (await entitlementBackend('mongodb'))(config)
 * ```
 */
export function entitlementBackend(
  name: keyof typeof ENTITLEMENT_MODULES
): Promise<EntitlementBackend> {
  return registered(
    entitlementBackends,
    name,
    ENTITLEMENT_MODULES[name],
    `the ${name} entitlement source`
  )
}

async function registered<T>(
  registry: Map<string, T>,
  name: string,
  specifier: string,
  purpose: string
): Promise<T> {
  const known = registry.get(name)
  if (known) return known
  try {
    // A computed specifier: bundlers leave it alone, so unused backends stay out of bundles.
    await import(/* @vite-ignore */ specifier)
  } catch (error) {
    throw new ConfigurationError(
      `${purpose} needs ${specifier}: add \`import '${specifier}'\` to your app (required on Workers and with JSR), and install its client library`,
      { cause: error }
    )
  }
  const loaded = registry.get(name)
  if (!loaded)
    throw new ConfigurationError(`${specifier} was loaded but did not register its backend`)
  return loaded
}
