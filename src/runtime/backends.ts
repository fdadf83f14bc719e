/**
 * @module
 * Backends chosen by configuration (`STYTCH_REDIS_URL=…`, `STYTCH_MONGODB_URI=…`), without the core
 * importing their client libraries. Each adapter module registers its backend when it is imported
 * (`import 'ayz-auth/upstash'`), so a bundle holds only the backends its code imports: a Workers
 * bundle never contains ioredis or the MongoDB driver. On Node, Bun and Deno with a `node_modules`
 * folder, a backend that was never imported is loaded on first use instead.
 */
import type { ApiKeyStore } from '../api-keys/api-key-store.ts'
import type { CacheStore } from '../cache/cache-store.ts'
import type { ResolvedConfig } from '../config/resolve-config.ts'
import type {
  EntitlementSchemaOverrides,
  EntitlementSource,
} from '../entitlements/entitlement-source.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import { credentialsIn } from '../log/without-userinfo.ts'
import type { OpenTelemetryApi } from '../telemetry/telemetry.ts'

/** Builds a cache store from the resolved settings. */
export type CacheBackend = (config: ResolvedConfig) => CacheStore
/**
 * Builds an entitlement source from the resolved settings, reading `schema`'s names (default: the
 * original's; `auth0Auth()` gives Auth0's).
 */
export type EntitlementBackend = (
  config: ResolvedConfig,
  schema?: EntitlementSchemaOverrides
) => EntitlementSource
/** Builds an API key store from the resolved settings. */
export type ApiKeyBackend = (config: ResolvedConfig) => ApiKeyStore

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

const registry = new Map<
  string,
  CacheBackend | EntitlementBackend | ApiKeyBackend | OpenTelemetryApi
>()

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
 * Registers an API key store backend under a name (adapter modules do this when imported).
 *
 * @example
 * ```ts
 * registerApiKeyBackend('mongodb', (config) => mongoApiKeys(config.mongodb!.uri))
 * ```
 */
export function registerApiKeyBackend(name: EntitlementName, backend: ApiKeyBackend): void {
  registry.set(`api-keys:${name}`, backend)
}

/**
 * The API key store backend `name` (the database of the entitlement source of the same name),
 * importing its adapter module if needed.
 *
 * @example
 * ```ts
 * const store = (await apiKeyBackend('mongodb', config))(config)
 * ```
 */
export async function apiKeyBackend(
  name: EntitlementName,
  config: ResolvedConfig
): Promise<ApiKeyBackend> {
  const variable = VARIABLE_OF[name](config)
  const backend = await registered<ApiKeyBackend>(name, `${variable} is set`, `api-keys:${name}`)
  return refusalsAsConfigurationErrors(backend, variable)
}

/**
 * The cache backend `name`, importing its adapter module if needed. A value its client library
 * refuses is reported as a {@link ConfigurationError} naming the variable.
 *
 * @example
 * ```ts
 * const store = (await cacheBackend('upstash', config))(config)
 * ```
 */
export async function cacheBackend(name: CacheName, config: ResolvedConfig): Promise<CacheBackend> {
  const backend = await registered<CacheBackend>(name, config.cacheChosenBy)
  return refusalsAsConfigurationErrors(backend, VARIABLE_OF[name](config))
}

/**
 * The entitlement backend `name`, importing its adapter module if needed. A value its client
 * library refuses (a malformed `STYTCH_MONGODB_URI`) is reported as a {@link ConfigurationError}
 * naming the variable.
 *
 * @example
 * ```ts
 * const source = (await entitlementBackend('mongodb', config))(config)
 * ```
 */
export async function entitlementBackend(
  name: EntitlementName,
  config: ResolvedConfig
): Promise<EntitlementBackend> {
  const variable = VARIABLE_OF[name](config)
  const backend = await registered<EntitlementBackend>(name, `${variable} is set`)
  return refusalsAsConfigurationErrors(backend, variable)
}

/** The variable whose value each backend's client is built from, named when the client refuses it. */
const VARIABLE_OF: Record<CacheName | EntitlementName, (config: ResolvedConfig) => string> = {
  redis: (config) => config.redis?.variable ?? 'STYTCH_REDIS_URL',
  upstash: () => 'UPSTASH_REDIS_REST_URL',
  mongodb: (config) => config.mongodb?.variable ?? 'STYTCH_MONGODB_URI',
  'data-api': () => 'STYTCH_DATA_API_URL',
}

/**
 * `backend`, with a value its client library refuses (`new MongoClient('not-a-uri')` throws a
 * `MongoParseError`) reported as a {@link ConfigurationError} naming `variable`: the runtime logs
 * it once and answers the JSON 500, instead of a stack trace per request. The library's reason is
 * kept, without the secrets of `config`; its error is not kept as `cause`, since it may hold the
 * URI it refused.
 */
function refusalsAsConfigurationErrors<A extends unknown[], T>(
  backend: (config: ResolvedConfig, ...rest: A) => T,
  variable: string
): (config: ResolvedConfig, ...rest: A) => T {
  return (config, ...rest) => {
    try {
      return backend(config, ...rest)
    } catch (error) {
      if (error instanceof ConfigurationError) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw new ConfigurationError(`${variable} is invalid: ${withoutSecrets(reason, config)}`)
    }
  }
}

/** `text` with each secret of `config`, and the credentials in its URLs, replaced by `…`. */
function withoutSecrets(text: string, config: ResolvedConfig): string {
  const redisUrl = config.redis && 'url' in config.redis ? config.redis.url : undefined
  const secrets = [
    config.secret,
    redisUrl,
    config.redis?.password,
    config.upstash?.url,
    config.upstash?.token,
    config.mongodb?.uri,
    config.dataApi?.url,
    config.dataApi?.apiKey,
  ].flatMap((value) => (value ? [value, ...credentialsIn(value)] : []))
  return secrets.reduce((shown, secret) => (secret ? shown.replaceAll(secret, '…') : shown), text)
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

async function registered<T>(
  name: keyof typeof MODULES,
  chosenBy: string,
  key: string = name
): Promise<T> {
  const { adapter, library } = MODULES[name]
  if (!registry.has(key)) {
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
  const backend = registry.get(key)
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
