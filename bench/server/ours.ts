/**
 * @module
 * ayz-auth as a user configures it, imported from the built package: `stytchAuth()` with the
 * cache tier, entitlements and options of the scenario, serving every one of {@link ROUTES}
 * behind one middleware; the rate limiters of the rate-limit rows after it ({@link EXTRAS});
 * API keys kept in MongoDB; `auth0Auth()` on the Auth0 emulator.
 */
import * as ayz from 'ayz-auth'
import type { AuthEnv, CacheStore, PrincipalEnv, StytchAuthOptions } from 'ayz-auth'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { rateLimiter, RedisStore } from 'hono-rate-limiter'
import { Redis } from 'ioredis'
import type { AppSpec, Extra, FixtureInfo, MeBody } from '../spec.ts'
import { HEALTH_PATH, PROTECTED_PATH, ROUTES, type BenchApp } from './peers.ts'
import { installTelemetry } from './telemetry.ts'

type OursSpec = Extract<AppSpec, { kind: 'ours' }>

/**
 * The ayz-auth app of `spec`: `ttl: 3600` (entries primed at the start outlive the run), the
 * in-process tier off (`l1Ttl: 0`: every request reads the shared tier) in front of Redis and Upstash.
 */
export async function oursApp(fixtures: FixtureInfo, spec: OursSpec): Promise<BenchApp> {
  if (spec.telemetry) installTelemetry()
  const { projectId, secret, url: baseUrl } = fixtures.stytch
  const mongo = spec.entitlements !== 'none' && (await import('ayz-auth/mongodb')).mongoEntitlements
  const options: { -readonly [K in keyof StytchAuthOptions]: StytchAuthOptions[K] } = {
    ...{ projectId, secret, baseUrl, cache: await cacheOf(spec.cache, fixtures) },
    ...(spec.cache === 'memory' ? {} : { l1Ttl: 0 }),
    entitlements: mongo ? mongo(fixtures.mongoUri) : null,
    ...(spec.teamTtl === undefined ? {} : { teamTtl: spec.teamTtl }),
    ...(spec.telemetry ? { telemetry: true, serverTiming: true } : {}),
    // Priming and the cold scenarios verify hundreds of new tokens per second on purpose.
    ...{ ttl: 3600, maxVerificationsPerSecond: 100_000, logLevel: 'ERROR' },
  }
  if (spec.provider === 'auth0') return auth0App(fixtures)
  if (spec.acceptTokens?.includes('api_key')) {
    const { mongoApiKeys } = await import('ayz-auth/mongodb')
    options.apiKeyStore = mongoApiKeys(fixtures.mongoUri)
  }
  if (spec.acceptTokens) return tokensApp({ ...options, acceptTokens: spec.acceptTokens })
  const app = new Hono<AuthEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  const auth = ayz.stytchAuth(options)
  // `c.var` is a copy of the variables on every read: read once, as the hand-written handler does.
  const me = (c: Context<AuthEnv>) => {
    const { auth } = c.var
    return c.json<MeBody>({ member: auth.memberId, team: auth.currentTeamName })
  }
  for (const path of Object.values(ROUTES)) app.use(path, auth)
  if (spec.entitlements === 'require')
    app.get(ROUTES.plain, ayz.requireEntitlement('foresight'), me)
  else if (spec.extra) app.get(ROUTES.plain, await EXTRAS[spec.extra](fixtures), me)
  else app.get(ROUTES.plain, me)
  // The emulator's default policy lets every member (role stytch_member) read documents.
  app.get(ROUTES.permission, ayz.requirePermission('documents', 'read'), me)
  app.get(ROUTES['pass-through'], (_c, next) => next(), me)
  return app
}

/** A route behind `stytchAuth({ acceptTokens })`: whoever the principal is, as {@link MeBody}. */
function tokensApp(options: StytchAuthOptions): BenchApp {
  const app = new Hono<PrincipalEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, ayz.stytchAuth(options))
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: whoIs(c.var.auth) }))
  return app
}

/** A route behind `auth0Auth()` on the Auth0 emulator (`ttl` as the others'). */
function auth0App({ auth0 }: FixtureInfo): BenchApp {
  const app = new Hono<ayz.Auth0Env>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  const options = { baseUrl: auth0.url, audience: auth0.audience, cache: 'memory' as const }
  app.use(PROTECTED_PATH, ayz.auth0Auth({ ...options, entitlements: null, logLevel: 'ERROR' }))
  app.get(PROTECTED_PATH, (c) => c.json<MeBody>({ member: whoIs(c.var.auth) }))
  return app
}

/** The principal's id: a member's, a machine's client, an API key's, an Auth0 user's. */
function whoIs(auth: ayz.Principal): string {
  if (auth.kind === 'machine') return auth.clientId
  return auth.kind === 'api_key' ? auth.keyId : auth.kind === 'user' ? auth.userId : auth.memberId
}

async function cacheOf(
  cache: OursSpec['cache'],
  fixtures: FixtureInfo
): Promise<CacheStore | 'memory'> {
  if (cache === 'redis') return (await import('ayz-auth/ioredis')).redisCache(fixtures.redisUrl)
  if (cache === 'upstash') return (await import('ayz-auth/upstash')).upstashCache(fixtures.upstash)
  return 'memory'
}

/** A limit `rateLimit` accepts (one unit per µs at most) that never refuses here. */
const NEVER_REFUSED = { limit: 50_000_000, window: 60 }

/** Middleware after `stytchAuth()` on the L1 hit route, by the name a scenario gives (`extra`). */
const EXTRAS: Record<Extra, (fixtures: FixtureInfo) => Promise<MiddlewareHandler<AuthEnv>>> = {
  'rate-limit-memory': async () => ayz.rateLimit(NEVER_REFUSED),
  'rate-limit-redis': async ({ redisUrl }) =>
    ayz.rateLimit({
      ...NEVER_REFUSED,
      store: (await import('ayz-auth/ioredis')).redisCache(redisUrl),
    }),
  // hono-rate-limiter's RedisStore wants scriptLoad, evalsha(sha, keys, args), decr and del.
  'hono-rate-limiter-redis': async ({ redisUrl }) => {
    const redis = new Redis(redisUrl)
    const client = {
      scriptLoad: (script: string) => redis.script('LOAD', script) as Promise<string>,
      evalsha: <A extends unknown[], D = unknown>(sha: string, keys: string[], args: A) =>
        redis.evalsha(sha, keys.length, ...keys, ...args.map(String)) as Promise<D>,
      ...{ decr: (key: string) => redis.decr(key), del: (key: string) => redis.del(key) },
    }
    const keyGenerator = (c: Context<AuthEnv>) => c.var.auth.memberId
    const store = new RedisStore<AuthEnv>({ client })
    return rateLimiter<AuthEnv>({ windowMs: 60_000, limit: 1e9, keyGenerator, store })
  },
}
