/**
 * @module
 * Settings from options and environment variables, each validated once with valibot, whose output
 * is what the library reads. An invalid value fails with a message naming the variable and option.
 */
import * as v from 'valibot'
import { ConfigurationError } from '../errors/auth-error.ts'
import { withoutUserinfo } from '../log/without-userinfo.ts'
import type { ApiKeyStore } from '../api-keys/api-key-store.ts'
import type { CacheStore } from '../cache/cache-store.ts'
import type { EntitlementSource } from '../entitlements/entitlement-source.ts'
import type { LogLevel, Logger } from '../log/logger.ts'
import type { SessionVerifier } from '../verify/session-verifier.ts'
import type { EnvRecord } from './read-env.ts'
import type { ClaimRequirement, StytchAuthOptions } from './stytch-auth-options.ts'

/** A cache backend chosen by name. */
export type CacheBackendName = 'memory' | 'redis' | 'upstash' | 'none'

/** Every setting, resolved. */
export interface ResolvedConfig {
  readonly projectId: string | undefined
  readonly secret: string | undefined
  /** `test` or `live`: which Stytch host to use when no base URL is set. */
  readonly stytchEnv: 'test' | 'live'
  /** Stytch API origin set by option or env (no trailing slash); else the host of `stytchEnv`. */
  readonly baseUrl: string | undefined
  readonly cache: CacheBackendName
  /** The setting that chose {@link ResolvedConfig.cache}, for messages (e.g. `STYTCH_REDIS_URL is set`). */
  readonly cacheChosenBy: string
  /** The Redis server or cluster; `variable` is the one that set it (`REDIS_URL`, …), for messages. */
  readonly redis:
    | {
        readonly url: string
        readonly password?: string
        readonly db: number
        readonly variable: string
      }
    | { readonly nodes: readonly string[]; readonly password?: string; readonly variable: string }
    | undefined
  readonly upstash: { readonly url: string; readonly token: string } | undefined
  readonly ttlSeconds: number
  readonly l1TtlSeconds: number
  readonly teamTtlSeconds: number
  readonly policyTtlSeconds: number
  readonly policyMaxStaleSeconds: number
  readonly prefix: string
  readonly logLevel: LogLevel
  readonly logSensitiveData: boolean
  readonly timeoutMs: number
  readonly maxRetries: number
  readonly maxVerificationsPerSecond: number
  readonly mongodb:
    { readonly uri: string; readonly db: string | undefined; readonly variable: string } | undefined
  readonly dataApi:
    | {
        readonly url: string
        readonly apiKey: string
        readonly dataSource: string
        readonly db: string | undefined
      }
    | undefined
}

/**
 * Seconds an entry lives in process in front of a shared tier unless `l1Ttl` says otherwise; what
 * records (policies, organizations, user ids, teams) keep there when `l1Ttl: 0` keeps no credential.
 *
 * @example
 * ```ts
 * const recordTtlMs = DEFAULT_L1_TTL_SECONDS * 1000
 * ```
 */
export const DEFAULT_L1_TTL_SECONDS = 10

/** Stytch's API hosts. */
export const STYTCH_HOSTS = {
  test: 'https://test.stytch.com',
  live: 'https://api.stytch.com',
} as const
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

const text = v.pipe(v.string('must be a string'), v.trim(), v.nonEmpty('must not be empty'))
const positive = v.pipe(
  v.number('must be a number'),
  v.finite('must be finite'),
  v.gtValue(0, 'must be a positive number')
)
const nonNegative = v.pipe(
  v.number('must be a number'),
  v.finite('must be finite'),
  v.minValue(0, 'must be ≥ 0')
)
const count = (max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(0, 'must be ≥ 0'),
    v.maxValue(max, `must be ≤ ${max}`)
  )
const numeric = <S extends v.GenericSchema<number, number>>(schema: S) =>
  v.pipe(v.string(), v.trim(), v.toNumber('must be a number'), schema)
const flag = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
  v.transform((value) => value === 'true' || value === '1' || value === 'yes')
)
const logLevel = v.pipe(
  v.string(),
  v.trim(),
  v.toUpperCase(),
  v.picklist(
    ['DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR'],
    'must be DEBUG, INFO, WARNING or ERROR'
  ),
  v.transform((level): LogLevel => (level === 'WARN' ? 'WARNING' : level))
)
const prefix = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _ . or -')
)
const baseUrl = v.pipe(
  v.string(),
  v.trim(),
  v.url('must be a URL'),
  v.check(isAllowedBaseUrl, 'must be https://…, or http:// on a loopback host (the emulator)'),
  v.transform((url) => url.replace(/\/+$/, ''))
)
const httpUrl = v.pipe(
  v.string(),
  v.trim(),
  v.url('must be a URL'),
  v.regex(/^https?:\/\//i, 'must be an http:// or https:// URL')
)
const redisUrl = v.pipe(
  text,
  v.regex(/^rediss?:\/\/[^/]/i, 'must be a redis:// or rediss:// URL (e.g. redis://host:6379)')
)
const clusterNodes = v.pipe(
  text,
  v.transform((list) => list.split(',').map((node) => node.trim().replace(/^rediss?:\/\//i, ''))),
  v.check(
    (nodes) => nodes.every((node) => /^[^\s/:]+:\d+$/.test(node)),
    'must be host:port pairs separated by commas (e.g. 10.0.0.1:6379,10.0.0.2:6379)'
  )
)
/** One of `choices`, in any letter case. */
const choice = <const T extends string>(choices: readonly T[], message: string) =>
  v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(choices, message))

/** Each environment variable: its schema, the option that overrides it, and whether it is secret. */
const VARIABLES = {
  STYTCH_PROJECT_ID: { schema: text, option: 'projectId' },
  STYTCH_SECRET: { schema: text, option: 'secret', secret: true },
  STYTCH_ENV: { schema: choice(['test', 'live'], 'must be test or live'), option: 'env' },
  STYTCH_BASE_URL: { schema: baseUrl, option: 'baseUrl' },
  STYTCH_CACHE: {
    schema: choice(
      ['memory', 'redis', 'upstash', 'none'],
      'must be memory, redis, upstash or none'
    ),
    option: 'cache',
  },
  STYTCH_REDIS_URL: { schema: redisUrl, secret: true },
  REDIS_URL: { schema: redisUrl, secret: true },
  STYTCH_REDIS_CLUSTER_NODES: { schema: clusterNodes },
  STYTCH_REDIS_PASSWORD: { schema: text, secret: true },
  STYTCH_REDIS_DB: { schema: numeric(count(15)) },
  UPSTASH_REDIS_REST_URL: { schema: httpUrl },
  UPSTASH_REDIS_REST_TOKEN: { schema: text, secret: true },
  STYTCH_CACHE_TTL: { schema: numeric(positive), option: 'ttl' },
  STYTCH_CACHE_L1_TTL: { schema: numeric(nonNegative), option: 'l1Ttl' },
  STYTCH_CACHE_PREFIX: { schema: prefix, option: 'prefix' },
  STYTCH_POLICY_TTL: { schema: numeric(positive), option: 'policyTtl' },
  STYTCH_POLICY_MAX_STALE: { schema: numeric(positive), option: 'policyMaxStale' },
  STYTCH_LOG_LEVEL: { schema: logLevel, option: 'logLevel' },
  STYTCH_LOG_SENSITIVE_DATA: { schema: flag, option: 'logSensitiveData' },
  STYTCH_REQUEST_TIMEOUT: { schema: numeric(positive), option: 'timeoutMs' },
  STYTCH_MAX_RETRIES: { schema: numeric(count(10)), option: 'maxRetries' },
  STYTCH_MONGODB_URI: { schema: text, secret: true },
  MONGODB_URI: { schema: text, secret: true },
  MONGODB_DB: { schema: text },
  STYTCH_DATA_API_URL: { schema: httpUrl },
  STYTCH_DATA_API_KEY: { schema: text, secret: true },
  STYTCH_DATA_API_DATA_SOURCE: { schema: text },
} as const satisfies Record<
  string,
  { schema: v.GenericSchema<string, unknown>; option?: keyof StytchAuthOptions; secret?: boolean }
>

const method = v.function('must be a function')
/** Objects with these methods (inherited ones count: a class instance, `console`). */
const withMethods = <T>(names: readonly (keyof T & string)[], message: string) =>
  v.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
    message
  )
const cacheStore = withMethods<CacheStore>(
  ['get', 'set', 'delete'],
  'must be a CacheStore: get, set and delete methods'
)
const entitlementSource = v.pipe(
  withMethods<EntitlementSource>(
    ['findOrganization', 'findMember'],
    'must be an EntitlementSource (findOrganization and findMember methods), or null'
  ),
  v.check(
    (source) => typeof source.schema?.fields === 'object',
    'must carry the names it reads: schema: entitlementSchema()'
  )
)
const apiKeyStore = withMethods<ApiKeyStore>(
  ['insert', 'findByHash', 'findById', 'listByOrganization', 'update', 'touchLastUsed'],
  'must be an ApiKeyStore (insert, findByHash, findById, listByOrganization, update, touchLastUsed), or null'
)
const logger = withMethods<Logger>(
  ['debug', 'info', 'warn', 'error'],
  'must be a logger: an object with debug, info, warn and error methods'
)
const verifier = withMethods<SessionVerifier>(
  ['verify', 'revoke'],
  'must be a SessionVerifier: an object with verify and revoke methods'
)
const claimRequirement = v.custom<ClaimRequirement>(
  (value) =>
    Array.isArray(value)
      ? value.every((name) => typeof name === 'string')
      : typeof value === 'object' && value !== null,
  'must be an array of claim names or a record of claim values'
)
const cookieName = v.pipe(
  v.string('must be a string'),
  v.regex(/^[\w!#$%&'*+.^`|~-]+$/, "must be a cookie name: letters, digits and !#$%&'*+-.^_`|~")
)

type Variable = keyof typeof VARIABLES
type EnvValues = { [K in Variable]?: v.InferOutput<(typeof VARIABLES)[K]['schema']> }

const OPTIONS = v.object({
  projectId: v.optional(text),
  secret: v.optional(text),
  env: v.optional(v.picklist(['test', 'live'], 'must be test or live')),
  baseUrl: v.optional(baseUrl),
  cache: v.optional(
    v.union(
      [v.picklist(['memory', 'redis', 'upstash', 'none']), cacheStore],
      "must be a CacheStore (get, set and delete methods) or 'memory', 'redis', 'upstash' or 'none'"
    )
  ),
  ttl: v.optional(positive),
  l1Ttl: v.optional(nonNegative),
  teamTtl: v.optional(nonNegative),
  policyTtl: v.optional(positive),
  policyMaxStale: v.optional(positive),
  prefix: v.optional(prefix),
  logLevel: v.optional(logLevel),
  logSensitiveData: v.optional(v.boolean()),
  timeoutMs: v.optional(positive),
  maxRetries: v.optional(count(10)),
  maxVerificationsPerSecond: v.optional(positive),
  acceptTokens: v.optional(
    v.pipe(
      v.array(
        v.picklist(
          ['session', 'm2m', 'oauth', 'api_key'],
          "must list 'session', 'm2m', 'oauth' or 'api_key'"
        )
      ),
      v.minLength(1, 'must accept at least one kind of token')
    )
  ),
  resourceMetadataUrl: v.optional(
    v.union(
      [v.pipe(v.string(), v.url()), v.function()],
      'must be a URL, or a function of the request that answers one'
    )
  ),
  telemetry: v.optional(
    v.union(
      [v.boolean(), v.looseObject({})],
      'must be true, false, or { tracerProvider, meterProvider }'
    )
  ),
  serverTiming: v.optional(v.boolean()),
  fleetSingleFlight: v.optional(v.boolean()),
  onEvent: v.optional(method),
  onError: v.optional(method),
  client: v.optional(v.looseObject({}, 'must be a B2BClient of the stytch package')),
  verifier: v.optional(verifier),
  entitlements: v.optional(v.nullable(entitlementSource)),
  apiKeyStore: v.optional(v.nullable(apiKeyStore)),
  logger: v.optional(logger),
  optional: v.optional(v.boolean('must be true or false')),
  tokenFrom: v.optional(
    v.pipe(
      v.array(v.picklist(['header', 'cookie'], "must be 'header' or 'cookie'"), 'must be an array'),
      v.minLength(1, 'must name at least one place to look')
    )
  ),
  cookieNames: v.optional(
    v.strictObject(
      { session: v.optional(cookieName), jwt: v.optional(cookieName) },
      'must be { session?: string, jwt?: string }'
    )
  ),
  requiredClaims: v.optional(claimRequirement),
  requiredFactors: v.optional(
    v.array(v.string('must be a factor name'), 'must be an array of factor names')
  ),
})

/** Options as valibot's output gives them: validated, trimmed, `WARN` read as `WARNING`. */
export type ParsedOptions = v.InferOutput<typeof OPTIONS> & StytchAuthOptions

/**
 * Validates `options` once, at `stytchAuth()` time (a wrong option fails at startup), and returns
 * them as the schema's output, which every later step reads. `middleware` is how messages name
 * the function the options were given to.
 *
 * @example
 * ```ts
 * parseOptions({ ttl: -1 }) // throws ConfigurationError: "… option ttl: must be a positive number"
 * ```
 */
export function parseOptions(
  options: StytchAuthOptions,
  middleware = 'stytchAuth()'
): ParsedOptions {
  const parsed = v.safeParse(OPTIONS, options)
  if (!parsed.success) {
    const problems = parsed.issues.map(
      (issue) => `option ${v.getDotPath(issue) ?? '?'}: ${issue.message}`
    )
    throw new ConfigurationError(`Invalid ${middleware} options: ${problems.join('; ')}`)
  }
  return { ...options, ...parsed.output } as ParsedOptions
}

/**
 * Resolves every setting from parsed options and the environment: an option wins, then its
 * environment variable, then the default. Messages name `middleware` as the place for an option.
 *
 * @example
 * ```ts
 * const config = resolveConfig(parseOptions({ ttl: 60 }), readEnv(c))
 * config.ttlSeconds // 60
 * ```
 */
export function resolveConfig(
  options: ParsedOptions,
  vars: EnvRecord,
  middleware = 'stytchAuth()'
): ResolvedConfig {
  const config = settingsOf(options, parseEnv(vars, options, middleware))
  if (config.cache === 'redis' && !config.redis)
    throw new ConfigurationError(
      `${config.cacheChosenBy} needs STYTCH_REDIS_URL (or REDIS_URL, or STYTCH_REDIS_CLUSTER_NODES)`
    )
  if (config.cache === 'upstash' && !config.upstash)
    throw new ConfigurationError(
      `${config.cacheChosenBy} needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN`
    )
  return config
}

function settingsOf(options: ParsedOptions, env: EnvValues): ResolvedConfig {
  const projectId = options.projectId ?? env.STYTCH_PROJECT_ID
  const stytchEnv =
    options.env ?? env.STYTCH_ENV ?? (projectId?.startsWith('project-live-') ? 'live' : 'test')
  const redisVariable = env.STYTCH_REDIS_CLUSTER_NODES
    ? 'STYTCH_REDIS_CLUSTER_NODES'
    : env.STYTCH_REDIS_URL
      ? 'STYTCH_REDIS_URL'
      : env.REDIS_URL
        ? 'REDIS_URL'
        : undefined
  const redisUrl = env.STYTCH_REDIS_URL ?? env.REDIS_URL
  const upstash =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }
      : undefined
  const cacheOption = typeof options.cache === 'string' ? options.cache : undefined
  const mongoVariable = env.STYTCH_MONGODB_URI ? 'STYTCH_MONGODB_URI' : 'MONGODB_URI'
  const mongoUri = env.STYTCH_MONGODB_URI ?? env.MONGODB_URI
  const [cache, cacheChosenBy] = cacheOption
    ? [cacheOption, `cache: '${cacheOption}'`]
    : env.STYTCH_CACHE
      ? [env.STYTCH_CACHE, `STYTCH_CACHE=${env.STYTCH_CACHE}`]
      : redisVariable
        ? (['redis', `${redisVariable} is set`] as const)
        : upstash
          ? (['upstash', 'UPSTASH_REDIS_REST_URL is set'] as const)
          : (['memory', 'the default'] as const)
  return {
    projectId,
    secret: options.secret ?? env.STYTCH_SECRET,
    stytchEnv,
    baseUrl: options.baseUrl ?? env.STYTCH_BASE_URL,
    cache,
    cacheChosenBy,
    redis: env.STYTCH_REDIS_CLUSTER_NODES
      ? {
          nodes: env.STYTCH_REDIS_CLUSTER_NODES,
          variable: 'STYTCH_REDIS_CLUSTER_NODES',
          ...(env.STYTCH_REDIS_PASSWORD ? { password: env.STYTCH_REDIS_PASSWORD } : {}),
        }
      : redisUrl && redisVariable
        ? {
            url: redisUrl,
            db: env.STYTCH_REDIS_DB ?? 0,
            variable: redisVariable,
            ...(env.STYTCH_REDIS_PASSWORD ? { password: env.STYTCH_REDIS_PASSWORD } : {}),
          }
        : undefined,
    upstash,
    ttlSeconds: options.ttl ?? env.STYTCH_CACHE_TTL ?? 300,
    l1TtlSeconds: options.l1Ttl ?? env.STYTCH_CACHE_L1_TTL ?? DEFAULT_L1_TTL_SECONDS,
    teamTtlSeconds: options.teamTtl ?? 0,
    policyTtlSeconds: options.policyTtl ?? env.STYTCH_POLICY_TTL ?? 300,
    policyMaxStaleSeconds: options.policyMaxStale ?? env.STYTCH_POLICY_MAX_STALE ?? 3600,
    prefix: options.prefix ?? env.STYTCH_CACHE_PREFIX ?? 'ayz_auth',
    logLevel: options.logLevel ?? env.STYTCH_LOG_LEVEL ?? 'INFO',
    logSensitiveData: options.logSensitiveData ?? env.STYTCH_LOG_SENSITIVE_DATA ?? false,
    timeoutMs: options.timeoutMs ?? (env.STYTCH_REQUEST_TIMEOUT ?? 10) * 1000,
    maxRetries: options.maxRetries ?? env.STYTCH_MAX_RETRIES ?? 3,
    maxVerificationsPerSecond: options.maxVerificationsPerSecond ?? 100,
    mongodb: mongoUri ? { uri: mongoUri, db: env.MONGODB_DB, variable: mongoVariable } : undefined,
    dataApi:
      env.STYTCH_DATA_API_URL && env.STYTCH_DATA_API_KEY
        ? {
            url: env.STYTCH_DATA_API_URL,
            apiKey: env.STYTCH_DATA_API_KEY,
            dataSource: env.STYTCH_DATA_API_DATA_SOURCE ?? 'mongodb-atlas',
            db: env.MONGODB_DB,
          }
        : undefined,
  }
}

/** Parses the variables the library knows; a variable overridden by an option is not read. */
function parseEnv(vars: EnvRecord, options: ParsedOptions, middleware: string): EnvValues {
  const values: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [name, variable] of Object.entries(VARIABLES) as [
    Variable,
    (typeof VARIABLES)[Variable],
  ][]) {
    const raw = vars[name]
    if (typeof raw !== 'string' || raw.trim() === '') continue
    if ('option' in variable && options[variable.option] !== undefined) continue
    const parsed = v.safeParse(variable.schema, raw)
    if (parsed.success) {
      values[name] = parsed.output
    } else {
      const shown = 'secret' in variable ? '' : ` (got ${JSON.stringify(withoutUserinfo(raw))})`
      const fix = 'option' in variable ? `, or pass \`${variable.option}\` to ${middleware}` : ''
      problems.push(
        `${name} ${parsed.issues[0]?.message ?? 'is invalid'}${shown}: fix the variable${fix}`
      )
    }
  }
  if (problems.length > 0)
    throw new ConfigurationError(`Invalid environment: ${problems.join('; ')}`)
  return values as EnvValues
}

function isAllowedBaseUrl(url: string): boolean {
  const parsed = new URL(url)
  return (
    parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))
  )
}
