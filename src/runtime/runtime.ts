/**
 * @module
 * The runtime: every part a request needs, built once from parsed options and the environment's
 * settings, in this one place. Its parts share the project's process-wide state (in-process
 * tiers, revocation marks, loads in flight, the Stytch call limit), so runtimes of different
 * settings of one project never disagree.
 */
import * as v from 'valibot'
import type { ApiKeyStore } from '../api-keys/api-key-store.ts'
import { LastUsed } from '../api-keys/last-used.ts'
import { CachedPolicySchema, type Policy } from '../authorization/policy.ts'
import { PolicyStore } from '../authorization/policy-store.ts'
import type { CacheStore } from '../cache/cache-store.ts'
import { CircuitBreaker } from '../cache/circuit-breaker.ts'
import { FleetLock } from '../cache/fleet-lock.ts'
import { ReadThroughCache } from '../cache/read-through.ts'
import { Revocations } from '../cache/revocations.ts'
import { hmacSealer } from '../cache/seal.ts'
import { SharedTier } from '../cache/shared-tier.ts'
import {
  DEFAULT_L1_TTL_SECONDS,
  STYTCH_HOSTS,
  type ParsedOptions,
  type ResolvedConfig,
} from '../config/resolve-config.ts'
import { ApiKeyContext, CachedApiKeySchema, cachedApiKeyOf } from '../context/api-key-context.ts'
import { AuthContext, cachedSessionOf, CachedSessionSchema } from '../context/auth-context.ts'
import type { Principal } from '../context/auth-env.ts'
import type { CredentialKind } from '../credential/credential-kind.ts'
import { apiKeys } from '../credential/api-keys.ts'
import { customVerifier } from '../credential/custom-verifier.ts'
import { stytchJwts } from '../credential/stytch-jwts.ts'
import { stytchSessionTokens } from '../credential/stytch-session-tokens.ts'
import { EntitlementLoader } from '../entitlements/entitlement-loader.ts'
import type {
  EntitlementSchemaOverrides,
  EntitlementSource,
} from '../entitlements/entitlement-source.ts'
import {
  MemberRecordSchema,
  OrganizationRecordSchema,
  UserIdSchema,
} from '../entitlements/records.ts'
import { ConfigurationError, StytchApiError, TokenVerificationError } from '../errors/auth-error.ts'
import { describeError } from '../log/describe-error.ts'
import { leveledLogger, type Logger } from '../log/logger.ts'
import { Telemetry } from '../telemetry/telemetry.ts'
import { sdkApi, stytchHttpApi, type StytchApi } from '../verify/stytch-api.ts'
import { stytchJwtVerifier } from '../verify/stytch-jwt.ts'
import { StytchSessions } from '../verify/stytch-sessions.ts'
import { apiKeyBackend, cacheBackend, entitlementBackend, openTelemetryApi } from './backends.ts'
import { projectOf, type Project } from './project.ts'

/** The assembled parts of the library for one configuration. */
export interface Runtime {
  readonly config: ResolvedConfig
  readonly logger: Logger
  /** The credential kinds, in the order they claim a token. */
  readonly credentials: readonly CredentialKind[]
  /** Verified credentials by digest: members in every tier, access tokens in process only. */
  readonly principals: ReadThroughCache<Principal>
  readonly revocations: Revocations
  readonly project: Project
  /** Longest a verified session is cached, in ms (0 with `STYTCH_CACHE=none`). */
  readonly sessionTtlMs: number
  /** Absent when no entitlement source is configured. */
  readonly entitlements: EntitlementLoader | undefined
  /** RBAC policies; absent when Stytch cannot be asked (a custom `verifier` without credentials). */
  readonly policies: PolicyStore | undefined
  /** Spans, metrics, events and `Server-Timing`; absent (costing nothing) unless enabled. */
  readonly telemetry: Telemetry | undefined
  /** The shared tier's store (Redis, Upstash, …), absent in process alone: where rate limits are kept. */
  readonly store: CacheStore | undefined
  /** The organizations' API keys, absent when no store is configured; keys are of `environment`. */
  readonly apiKeys: ApiKeyParts | undefined
  /** The project's environment (`test` or `live`), which its API keys carry. */
  readonly environment: 'test' | 'live'
  /** That store behind its breaker (what rate limits ask it through), absent with it. */
  readonly shared: SharedTier | undefined
  /** Stops what the runtime started (its subscription to other instances' revocations). */
  close(): Promise<void>
}

/**
 * An identity provider other than Stytch (Auth0), as a runtime is built with it: its own project
 * state, its own seal of the shared tier, its credential kinds, the field names its entitlements
 * are found by, and no RBAC policy (its tokens carry their grants).
 */
export interface IdentityProvider {
  /** Names the project state in the process (with the cache prefix), e.g. `auth0|{issuer}|{audience}`. */
  readonly project: string
  /** The secret sealing the shared tier; throws the {@link ConfigurationError} naming it when unset. */
  secret(): string
  /** The field names an entitlement source built from the environment reads. */
  readonly entitlementSchema: EntitlementSchemaOverrides
  /** The credential kinds, in the order they claim a token. */
  credentials(parts: {
    readonly logger: Logger
    readonly telemetry: Telemetry | undefined
  }): CredentialKind[]
}

/** The API key store, its breaker, and its debounced `last_used_at` writes. */
export interface ApiKeyParts {
  readonly keys: ApiKeyStore
  readonly breaker: CircuitBreaker
  readonly lastUsed: LastUsed
}

/** Longest a request waits for a slot of the Stytch call limit. */
const MAX_LIMITER_WAIT_MS = 2000
/** How long a failed policy load is answered 503 from memory before Stytch is asked again. */
const POLICY_RETRY_MS = 5_000
/** How long a token Stytch rejected (or that was revoked) is answered 401 without asking again. */
export const REJECTION_TTL_MS = 10_000

/**
 * Builds the runtime of `options` and the environment's `config`: `serving` requests (it hears
 * other instances' revocations), or only revoking; Stytch's, or `provider`'s. A missing setting
 * throws the {@link ConfigurationError} naming it.
 *
 * @example
 * ```ts
 * const runtime = await buildRuntime(parseOptions({}), resolveConfig(parseOptions({}), readEnv(c)))
 * ```
 */
export async function buildRuntime(
  options: ParsedOptions,
  config: ResolvedConfig,
  serving = true,
  provider?: IdentityProvider
): Promise<Runtime> {
  const logger = leveledLogger(options.logger ?? console, config.logLevel)
  const { projectId, secret, prefix } = config
  const baseUrl = config.baseUrl ?? STYTCH_HOSTS[config.stytchEnv]
  // A custom verifier vouches for its own sessions: its project state is its own, in process only.
  const project = provider
    ? projectOf(`${provider.project}|${prefix}`)
    : projectOf(options.verifier ?? `${projectId}|${prefix}`)
  const telemetry = await telemetryOf(options, logger)
  const call = { timeoutMs: config.timeoutMs, maxRetries: config.maxRetries, telemetry }
  const api: StytchApi | undefined = provider
    ? undefined
    : options.client
      ? sdkApi(options.client)
      : projectId && secret
        ? stytchHttpApi({ projectId, secret, baseUrl })
        : undefined

  const store = await sharedStore(options, config)
  if (!store && config.l1TtlSeconds === 0 && config.cache !== 'none')
    throw new ConfigurationError(
      'l1Ttl (STYTCH_CACHE_L1_TTL) 0 keeps nothing in process, so every request reads the shared cache: set `cache` (or STYTCH_CACHE) to redis, upstash or a CacheStore'
    )
  const shared =
    store &&
    project.ownerOf(store, () => {
      const sealer = hmacSealer(
        provider
          ? provider.secret()
          : required(
              secret,
              'a shared cache seals its entries with the project secret: set STYTCH_SECRET or pass `secret` to stytchAuth()'
            )
      )
      return new SharedTier(store, breakerOf(store, 'cache', logger, telemetry), sealer, telemetry)
    })
  const sessionShared = options.verifier ? undefined : shared
  const localTtlMs = config.l1TtlSeconds * 1000
  // `l1Ttl: 0` keeps credentials out of process (a revocation is seen at once); records, which no
  // revocation concerns, keep the default there, so an outage of the shared tier stays cheap.
  const recordTtlMs = localTtlMs > 0 ? localTtlMs : DEFAULT_L1_TTL_SECONDS * 1000
  const tier = <T>(name: string, schema: v.GenericSchema<unknown, T>) =>
    new ReadThroughCache<T>({
      namespace: `${prefix}:${name}`,
      local: project.tier(name),
      shared,
      localTtlMs: recordTtlMs,
      schema,
    })

  const sessionTtlMs = config.cache === 'none' ? 0 : config.ttlSeconds * 1000
  const revocations = new Revocations({
    marks: project.marks,
    local: project.principals,
    tierOf: (shape) => project.tier(shape),
    prefix,
    shared: sessionShared,
    namespace: `${prefix}:session`,
    revokedNamespace: `${prefix}:revoked`,
    channel: `${prefix}:purge`,
    minMs: REJECTION_TTL_MS,
  })
  const principals = new ReadThroughCache<Principal>({
    namespace: `${prefix}:session`,
    local: project.principals,
    shared: sessionShared,
    localTtlMs,
    // The tiers are shared with runtimes of other settings: a session is served as long as ours say.
    maxAgeMs: sessionTtlMs,
    // Sessions and API keys are shared (sealed); tokens verified from themselves stay in process.
    schema: v.union([CachedSessionSchema, CachedApiKeySchema]),
    encode: (auth) =>
      auth instanceof AuthContext
        ? cachedSessionOf(auth)
        : auth instanceof ApiKeyContext
          ? cachedApiKeyOf(auth)
          : undefined,
    // The Stytch response rides beside the entry's JSON, parsed only when the app reads it.
    detached: 'rawSession',
    flights: project.flights,
    // One Stytch call per cold token per fleet: instances sharing the tier wait for the first.
    fleet:
      sessionShared && options.fleetSingleFlight !== false
        ? new FleetLock(sessionShared, `${prefix}:session`, config.timeoutMs)
        : undefined,
    rejections: {
      local: project.rejected,
      ttlMs: REJECTION_TTL_MS,
      remember: (error) => error instanceof TokenVerificationError,
      errorOf: () => new TokenVerificationError(),
      revocations,
    },
  })
  const stop = serving ? revocations.listen(logger) : undefined
  if (serving) project.revocations.add(revocations)

  const source = await entitlementSource(options, config, provider?.entitlementSchema)
  const entitlements =
    source &&
    new EntitlementLoader({
      source,
      breaker: project.ownerOf(source, () => breakerOf(source, 'entitlements', logger, telemetry)),
      telemetry,
      organizations: tier('org', OrganizationRecordSchema),
      userIds: tier('user', UserIdSchema),
      ...(config.teamTtlSeconds > 0
        ? {
            members: {
              cache: tier('member', MemberRecordSchema),
              ttlMs: config.teamTtlSeconds * 1000,
            },
          }
        : {}),
      logger,
    })
  const policies =
    api &&
    new PolicyStore({
      api,
      call,
      policies: new ReadThroughCache<Policy>({
        namespace: `${prefix}:policy`,
        local: project.tier('policy'),
        shared,
        localTtlMs: recordTtlMs,
        schema: CachedPolicySchema,
        encode: (policy) => policy.data,
        rejections: {
          local: project.tier('policy-failures'),
          ttlMs: POLICY_RETRY_MS,
          remember: (error) => error instanceof StytchApiError,
          errorOf: () => new StytchApiError(),
        },
      }),
      ttlMs: config.policyTtlSeconds * 1000,
      maxStaleMs: config.policyMaxStaleSeconds * 1000,
      logger,
    })
  const keys = await apiKeyStore(options, config)
  const apiKeyParts = keys && {
    keys,
    breaker: project.ownerOf(keys, () => breakerOf(keys, 'api_keys', logger, telemetry)),
    // One memory of written keys per project: its mounts together write once a minute per key.
    lastUsed: new LastUsed(keys, logger, keys.timeoutMs ?? 1000, project.tier('api-key-last-used')),
  }
  return {
    config,
    logger,
    credentials: provider
      ? provider.credentials({ logger, telemetry })
      : options.verifier
        ? [customVerifier(options.verifier)]
        : [
            apiKeys({ environment: config.stytchEnv, store: apiKeyParts }),
            ...stytchCredentials(project, api, config, call, baseUrl, logger),
          ],
    principals,
    revocations,
    project,
    sessionTtlMs,
    entitlements,
    policies,
    telemetry,
    store,
    apiKeys: apiKeyParts,
    environment: config.stytchEnv,
    shared,
    async close() {
      project.revocations.delete(revocations)
      await stop?.()
    },
  }
}

/** Stytch's JWTs, then its opaque session tokens, both asking Stytch within the project's limit. */
function stytchCredentials(
  project: Project,
  api: StytchApi | undefined,
  config: ResolvedConfig,
  call: {
    readonly timeoutMs: number
    readonly maxRetries: number
    readonly telemetry?: Telemetry | undefined
  },
  baseUrl: string,
  logger: Logger
): CredentialKind[] {
  const projectId = required(
    config.projectId,
    'STYTCH_PROJECT_ID is not set: set it or pass `projectId` to stytchAuth()'
  )
  const sessions = new StytchSessions({
    api: required(api, 'STYTCH_SECRET is not set: set it or pass `secret` to stytchAuth()'),
    policy: call,
    logger,
    limiter: project.limiter(config.maxVerificationsPerSecond),
    maxWaitMs: Math.min(config.timeoutMs, MAX_LIMITER_WAIT_MS),
  })
  const jwts = stytchJwtVerifier({ projectId, baseUrl, timeoutMs: config.timeoutMs })
  return [
    stytchJwts(jwts, sessions, logger, config.l1TtlSeconds * 1000),
    stytchSessionTokens(sessions),
  ]
}

/** The runtime's telemetry when any of `telemetry`, `onEvent` or `serverTiming` is on. */
async function telemetryOf(options: ParsedOptions, logger: Logger): Promise<Telemetry | undefined> {
  const { telemetry, onEvent, serverTiming = false } = options
  if (!telemetry && !onEvent && !serverTiming) return undefined
  return new Telemetry({
    ...(telemetry ? { api: await openTelemetryApi() } : {}),
    ...(typeof telemetry === 'object' ? telemetry : {}),
    ...(onEvent ? { onEvent } : {}),
    serverTiming,
    report: (message) => logger.warn(message),
  })
}

async function sharedStore(
  options: ParsedOptions,
  config: ResolvedConfig
): Promise<CacheStore | undefined> {
  if (typeof options.cache === 'object') return options.cache
  if (config.cache !== 'redis' && config.cache !== 'upstash') return undefined
  return (await cacheBackend(config.cache, config))(config)
}

async function apiKeyStore(
  options: ParsedOptions,
  config: ResolvedConfig
): Promise<ApiKeyStore | undefined> {
  if (options.apiKeyStore !== undefined) return options.apiKeyStore ?? undefined
  if (config.mongodb) return (await apiKeyBackend('mongodb', config))(config)
  if (config.dataApi) return (await apiKeyBackend('data-api', config))(config)
  return undefined
}

/** The source given in the options (it keeps its own names), else the environment's, reading `schema`'s names. */
async function entitlementSource(
  options: ParsedOptions,
  config: ResolvedConfig,
  schema: EntitlementSchemaOverrides | undefined
): Promise<EntitlementSource | undefined> {
  if (options.entitlements !== undefined) return options.entitlements ?? undefined
  if (config.mongodb) return (await entitlementBackend('mongodb', config))(config, schema)
  if (config.dataApi) return (await entitlementBackend('data-api', config))(config, schema)
  return undefined
}

/** What the library does while a backend is down, as its WARN says. */
const FALLBACKS = {
  cache: 'verifying with Stytch',
  entitlements: 'serving cached organizations',
  api_keys: 'serving keys already verified, 503 for others',
} as const

/** A backend's breaker, which logs it going down and coming back once per change, not per request. */
function breakerOf(
  backend: { readonly name?: string; readonly timeoutMs?: number; readonly cooldownMs?: number },
  role: 'cache' | 'entitlements' | 'api_keys',
  logger: Logger,
  telemetry: Telemetry | undefined
): CircuitBreaker {
  const name = backend.name ?? (role === 'entitlements' ? 'entitlement source' : role)
  const fallback = FALLBACKS[role]
  return new CircuitBreaker({
    timeoutMs: backend.timeoutMs ?? (role === 'cache' ? 1000 : 2000),
    ...(backend.cooldownMs ? { cooldownMs: backend.cooldownMs } : {}),
    onChange(failing, error) {
      const reason = describeError(error)
      telemetry?.breakerChanged(role, name, failing, failing ? reason : undefined)
      if (failing)
        logger.warn(
          `${role} degraded: ${name} unavailable (${reason}); ${fallback} until it returns`
        )
      else logger.info(`${role} recovered: ${name} answers again`)
    },
  })
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ConfigurationError(message)
  return value
}
