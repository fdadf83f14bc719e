/**
 * @module
 * The settings of `auth0Auth()`: its options, validated once at construction (a wrong option throws
 * there), and the Auth0 environment variables, read per environment (a missing or invalid one is a
 * {@link ConfigurationError} naming it, answered as a JSON 500). The settings it shares with
 * `stytchAuth()` (cache, entitlements, logging, telemetry) are `parseOptions`' and `resolveConfig`'s.
 */
import * as v from 'valibot'
import { ASYMMETRIC_ALGORITHMS } from '../auth0/asymmetric-algorithms.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import { withoutUserinfo } from '../log/without-userinfo.ts'
import type { Auth0AcceptedToken, Auth0AuthOptions } from './auth0-auth-options.ts'
import type { EnvRecord } from './read-env.ts'
import { parseOptions, type ParsedOptions } from './resolve-config.ts'

/** Where an Auth0 tenant's tokens come from and whom they must be for, resolved. */
export interface Auth0Config {
  /** The exact `iss`, trailing slash included. */
  readonly issuer: string
  readonly jwksUrl: string
  readonly audience: string
  readonly algorithms: readonly string[]
  /** Seals the shared tier; needed only with one. */
  readonly secret: string | undefined
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])
const MIDDLEWARE = 'auth0Auth()'

const text = v.pipe(v.string('must be a string'), v.trim(), v.nonEmpty('must not be empty'))
const domain = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.transform((value) => value.replace(/^https:\/\//i, '').replace(/\/+$/, '')),
  v.regex(
    /^[A-Za-z0-9.-]+(:\d{1,5})?$/,
    'must be a host name such as tenant.auth0.com (for http:// on a loopback host, the emulator, set AUTH0_BASE_URL)'
  )
)
const baseUrl = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.url('must be a URL'),
  v.check(isAllowedBaseUrl, 'must be https://…, or http:// on a loopback host (the emulator)'),
  v.transform((url) => url.replace(/\/+$/, ''))
)
const ALGORITHMS_MESSAGE = `must list asymmetric algorithms (${[...ASYMMETRIC_ALGORITHMS].join(', ')}): a JWKS publishes public keys, so HS256 and none are refused`
const algorithmList = v.pipe(
  v.array(v.string(), 'must be an array of algorithm names'),
  v.minLength(1, ALGORITHMS_MESSAGE),
  v.check((names) => names.every((name) => ASYMMETRIC_ALGORITHMS.has(name)), ALGORITHMS_MESSAGE)
)
const algorithmText = v.pipe(
  v.string(),
  v.transform((list) => list.split(/[\s,]+/).filter(Boolean)),
  algorithmList
)

/** Each Auth0 environment variable: its schema, the option that overrides it, whether it is secret. */
const AUTH0_VARIABLES = {
  AUTH0_DOMAIN: { schema: domain, option: 'domain' },
  AUTH0_API_AUDIENCE: { schema: text, option: 'audience' },
  AUTH0_ALGORITHMS: { schema: algorithmText, option: 'algorithms' },
  AUTH0_BASE_URL: { schema: baseUrl, option: 'baseUrl' },
  AUTH0_CACHE_SECRET: { schema: text, option: 'secret', secret: true },
} as const satisfies Record<
  string,
  { schema: v.GenericSchema<string, unknown>; option: keyof Auth0AuthOptions; secret?: boolean }
>

type Auth0Variable = keyof typeof AUTH0_VARIABLES
type Auth0EnvValues = {
  [K in Auth0Variable]?: v.InferOutput<(typeof AUTH0_VARIABLES)[K]['schema']>
}

/** The options only `auth0Auth()` has. */
const AUTH0_OPTIONS = v.object({
  domain: v.optional(domain),
  audience: v.optional(text),
  algorithms: v.optional(algorithmList),
  issuer: v.optional(v.pipe(v.string(), v.url('must be a URL, written exactly as in `iss`'))),
  baseUrl: v.optional(baseUrl),
  secret: v.optional(text),
  acceptTokens: v.optional(
    v.pipe(
      v.array(
        v.picklist(['user', 'm2m', 'api_key'], "must list 'user', 'm2m' or 'api_key'"),
        'must be an array'
      ),
      v.minLength(1, 'must accept at least one kind of token')
    )
  ),
})

/** The options only `auth0Auth()` has, validated. */
export type ParsedAuth0Options = v.InferOutput<typeof AUTH0_OPTIONS>

/**
 * Validates `auth0Auth()`'s options once, at construction: the shared ones as `stytchAuth()`'s
 * (`shared`, which the runtime reads), the Auth0 ones (`auth0`). Throws a {@link ConfigurationError}
 * naming each wrong option.
 *
 * @example
 * ```ts
 * const { shared, auth0 } = parseAuth0Options({ domain: 'tenant.auth0.com', l1Ttl: 5 })
 * ```
 */
export function parseAuth0Options(options: Auth0AuthOptions): {
  readonly shared: ParsedOptions
  readonly auth0: ParsedAuth0Options
  readonly acceptTokens: readonly Auth0AcceptedToken[]
} {
  const { domain, audience, algorithms, issuer, baseUrl, secret, acceptTokens, ...rest } = options
  const parsed = v.safeParse(AUTH0_OPTIONS, {
    domain,
    audience,
    algorithms,
    issuer,
    baseUrl,
    secret,
    acceptTokens,
  })
  if (!parsed.success) {
    const problems = parsed.issues.map(
      (issue) => `option ${v.getDotPath(issue) ?? '?'}: ${issue.message}`
    )
    throw new ConfigurationError(`Invalid ${MIDDLEWARE} options: ${problems.join('; ')}`)
  }
  return {
    shared: parseOptions(rest, MIDDLEWARE),
    auth0: parsed.output,
    acceptTokens: parsed.output.acceptTokens ?? ['user', 'm2m'],
  }
}

/**
 * The tenant and API of `auth0Auth()`: an option wins, then its variable. With a base URL (the
 * emulator) the issuer is `{baseUrl}/` and the keys `{baseUrl}/.well-known/jwks.json`; otherwise
 * `https://{domain}/` and its JWKS, fetched directly (no discovery document).
 *
 * @example
 * ```ts
 * resolveAuth0Config(auth0, { AUTH0_DOMAIN: 'tenant.auth0.com', AUTH0_API_AUDIENCE: 'https://api' })
 * // { issuer: 'https://tenant.auth0.com/', jwksUrl: 'https://tenant.auth0.com/.well-known/jwks.json', … }
 * ```
 */
export function resolveAuth0Config(options: ParsedAuth0Options, vars: EnvRecord): Auth0Config {
  const env = parseAuth0Env(vars, options)
  const base = options.baseUrl ?? env.AUTH0_BASE_URL
  const host = options.domain ?? env.AUTH0_DOMAIN
  const origin = base ?? (host === undefined ? undefined : `https://${host}`)
  if (origin === undefined)
    throw new ConfigurationError(
      `AUTH0_DOMAIN is not set: set it to your tenant's domain (e.g. tenant.auth0.com) or pass \`domain\` to ${MIDDLEWARE}`
    )
  const audience = options.audience ?? env.AUTH0_API_AUDIENCE
  if (audience === undefined)
    throw new ConfigurationError(
      `AUTH0_API_AUDIENCE is not set: set it to your API's identifier or pass \`audience\` to ${MIDDLEWARE}`
    )
  return {
    issuer: options.issuer ?? `${origin}/`,
    jwksUrl: `${origin}/.well-known/jwks.json`,
    audience,
    algorithms: options.algorithms ?? env.AUTH0_ALGORITHMS ?? ['RS256'],
    secret: options.secret ?? env.AUTH0_CACHE_SECRET,
  }
}

/** Parses the Auth0 variables; a variable overridden by an option is not read. */
function parseAuth0Env(vars: EnvRecord, options: ParsedAuth0Options): Auth0EnvValues {
  const values: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [name, variable] of Object.entries(AUTH0_VARIABLES) as [
    Auth0Variable,
    (typeof AUTH0_VARIABLES)[Auth0Variable],
  ][]) {
    const raw = vars[name]
    if (typeof raw !== 'string' || raw.trim() === '' || options[variable.option] !== undefined)
      continue
    const parsed = v.safeParse(variable.schema, raw)
    if (parsed.success) values[name] = parsed.output
    else {
      const shown = 'secret' in variable ? '' : ` (got ${JSON.stringify(withoutUserinfo(raw))})`
      problems.push(
        `${name} ${parsed.issues[0]?.message ?? 'is invalid'}${shown}: fix the variable, or pass \`${variable.option}\` to ${MIDDLEWARE}`
      )
    }
  }
  if (problems.length > 0)
    throw new ConfigurationError(`Invalid environment: ${problems.join('; ')}`)
  return values as Auth0EnvValues
}

function isAllowedBaseUrl(url: string): boolean {
  const parsed = new URL(url)
  return (
    parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))
  )
}
