import { Hono, type Context } from 'hono'
import {
  type AcceptedToken,
  ConfigurationError,
  requireEntitlement,
  requirePermission,
  stytchAuth,
  type AuthEnv,
  type CacheStore,
  type EntitlementSource,
  type PrincipalEnv,
  type StytchAuthOptions,
} from 'ayz-auth'
import type { FixtureInfo } from '../fixtures/api.ts'
import { NotAvailable } from '../not-available.ts'
import { type BenchApp, HEALTH_PATH, PROTECTED_PATH, ROUTES } from './common.ts'
import type { AppSpec, MeBody } from './spec.ts'
import { installTelemetry } from './telemetry.ts'

/**
 * Seconds a verified session stays cached in every ayz-auth scenario: raised from the default 300
 * so entries primed at the start of a run do not expire in the middle of a later measurement.
 */
export const SESSION_TTL_SECONDS = 3600
/**
 * The in-process tier "turned off" in front of Redis/Upstash: an entry lives there 1 ms. The load
 * rotates over 1,000 tokens, so a token comes back long after its L1 entry expired and practically
 * every request reads L2 (the table's L2-reads column shows it).
 */
export const L1_OFF_TTL_SECONDS = 0.001
/**
 * The verification rate limit, raised from its default of 100/s: priming 1,000 tokens and the cold
 * scenarios verify hundreds of new tokens per second on purpose. It is not on the cache-hit path.
 */
export const MAX_VERIFICATIONS_PER_SECOND = 100_000

/**
 * The options the telemetry scenario adds, which the built package may not know yet. Kept out of
 * the literal typed `StytchAuthOptions` so this compiles before and after the library has them;
 * whether the build honours them is checked at run time.
 */
const TELEMETRY_OPTIONS = { telemetry: true, serverTiming: true } as const

/**
 * ayz-auth as a user would configure it (imported from the built package), with the cache tier and
 * entitlements of `spec`, serving every one of {@link ROUTES} behind one `stytchAuth()` (the plain
 * route with `requireEntitlement('foresight')` when `spec` says so).
 *
 * @example
 * ```ts
 * const app = await oursApp(fixtures, { kind: 'ours', cache: 'redis', entitlements: 'none' })
 * ```
 */
export async function oursApp(
  fixtures: FixtureInfo,
  spec: Extract<AppSpec, { kind: 'ours' }>
): Promise<BenchApp> {
  if (spec.telemetry) await installTelemetry()
  const base: StytchAuthOptions = {
    projectId: fixtures.stytch.projectId,
    secret: fixtures.stytch.secret,
    baseUrl: fixtures.stytch.url,
    cache: await cacheOf(spec.cache, fixtures),
    ...(spec.cache === 'memory' ? {} : { l1Ttl: L1_OFF_TTL_SECONDS }),
    entitlements: spec.entitlements === 'none' ? null : await mongoSource(fixtures),
    ttl: SESSION_TTL_SECONDS,
    maxVerificationsPerSecond: MAX_VERIFICATIONS_PER_SECOND,
    logLevel: 'ERROR',
  }
  const options: StytchAuthOptions = spec.telemetry ? { ...base, ...TELEMETRY_OPTIONS } : base
  if (spec.acceptTokens) return tokensApp(options, spec.acceptTokens)
  const app = new Hono<AuthEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  const auth = withOptions(() => stytchAuth(options), spec)
  const me = (c: Context<AuthEnv>) =>
    c.json<MeBody>({ member: c.var.auth.memberId, team: c.var.auth.currentTeamName })
  for (const path of Object.values(ROUTES)) app.use(path, auth)
  if (spec.entitlements === 'require') app.get(ROUTES.plain, requireEntitlement('foresight'), me)
  else app.get(ROUTES.plain, me)
  // The emulator's default policy lets every member (role stytch_member) read documents.
  app.get(ROUTES.permission, requirePermission('documents', 'read'), me)
  app.get(ROUTES['pass-through'], (_c, next) => next(), me)
  return app
}

/** A route behind `stytchAuth({ acceptTokens })`: whoever the principal is, as {@link MeBody}. */
function tokensApp(
  options: StytchAuthOptions,
  acceptTokens: readonly Exclude<AcceptedToken, 'user'>[]
): BenchApp {
  const app = new Hono<PrincipalEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, stytchAuth({ ...options, acceptTokens }))
  app.get(PROTECTED_PATH, (c) => {
    const auth = c.var.auth
    switch (auth.kind) {
      case 'machine':
        return c.json<MeBody>({ member: auth.clientId, team: null })
      case 'api_key':
        return c.json<MeBody>({ member: auth.keyId, team: null })
      case 'user':
        return c.json<MeBody>({ member: auth.userId, team: null })
      default:
        return c.json<MeBody>({ member: auth.memberId, team: auth.currentTeamName })
    }
  })
  return app
}

/**
 * The middleware `create` makes; in the telemetry scenario a `ConfigurationError` (an option the
 * build does not accept) makes the scenario not available instead of failing it.
 */
function withOptions<T>(create: () => T, spec: Extract<AppSpec, { kind: 'ours' }>): T {
  try {
    return create()
  } catch (error) {
    if (spec.telemetry && error instanceof ConfigurationError)
      throw new NotAvailable(`the built package rejects telemetry/serverTiming: ${error.message}`)
    throw error
  }
}

async function cacheOf(
  cache: 'memory' | 'redis' | 'upstash',
  fixtures: FixtureInfo
): Promise<CacheStore | 'memory'> {
  if (cache === 'redis') return (await import('ayz-auth/ioredis')).redisCache(fixtures.redisUrl)
  if (cache === 'upstash') return (await import('ayz-auth/upstash')).upstashCache(fixtures.upstash)
  return 'memory'
}

async function mongoSource(fixtures: FixtureInfo): Promise<EntitlementSource> {
  return (await import('ayz-auth/mongodb')).mongoEntitlements(fixtures.mongoUri)
}
