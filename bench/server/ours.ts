/**
 * @module
 * ayz-auth as a user configures it, imported from the built package: `stytchAuth()` with the
 * cache tier, entitlements and options of the scenario, serving every one of {@link ROUTES}
 * behind one middleware; the rate limiters of the rate-limit rows after it ({@link EXTRAS}); and
 * the scenarios still to write ({@link pendingApp}).
 */
import * as ayz from 'ayz-auth'
import type { AuthEnv, CacheStore, PrincipalEnv, StytchAuthOptions } from 'ayz-auth'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { rateLimiter, RedisStore } from 'hono-rate-limiter'
import { Redis } from 'ioredis'
import { NotAvailable, type AppSpec, type Extra, type FixtureInfo, type MeBody } from '../spec.ts'
import { HEALTH_PATH, PROTECTED_PATH, ROUTES, type BenchApp } from './peers.ts'
import { installTelemetry } from './telemetry.ts'

type OursSpec = Extract<AppSpec, { kind: 'ours' }>

/**
 * The ayz-auth app of `spec`: `ttl: 3600` (entries primed at the start outlive the run), the
 * in-process tier "off" (`l1Ttl: 0.001`: an entry lives 1 ms) in front of Redis and Upstash.
 *
 * @example
 * ```ts
 * const app = await oursApp(fixtures, { kind: 'ours', cache: 'redis', entitlements: 'none' })
 * ```
 */
export async function oursApp(fixtures: FixtureInfo, spec: OursSpec): Promise<BenchApp> {
  if (spec.telemetry) installTelemetry()
  const { projectId, secret, url: baseUrl } = fixtures.stytch
  const mongo = spec.entitlements !== 'none' && (await import('ayz-auth/mongodb')).mongoEntitlements
  const options: StytchAuthOptions = {
    ...{ projectId, secret, baseUrl, cache: await cacheOf(spec.cache, fixtures) },
    ...(spec.cache === 'memory' ? {} : { l1Ttl: 0.001 }),
    entitlements: mongo ? mongo(fixtures.mongoUri) : null,
    ...(spec.teamTtl === undefined ? {} : { teamTtl: spec.teamTtl }),
    ...(spec.telemetry ? { telemetry: true, serverTiming: true } : {}),
    // Priming and the cold scenarios verify hundreds of new tokens per second on purpose.
    ...{ ttl: 3600, maxVerificationsPerSecond: 100_000, logLevel: 'ERROR' },
  }
  if (spec.acceptTokens) return tokensApp({ ...options, acceptTokens: spec.acceptTokens })
  const app = new Hono<AuthEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  const auth = ayz.stytchAuth(options)
  const me = (c: Context<AuthEnv>) =>
    c.json<MeBody>({ member: c.var.auth.memberId, team: c.var.auth.currentTeamName })
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
  app.get(PROTECTED_PATH, (c) => {
    const auth = c.var.auth
    // Principals other than sessions and machines (the package's list grows) answer no member.
    const member =
      auth.kind === 'machine' ? auth.clientId : 'memberId' in auth ? auth.memberId : null
    const team = 'currentTeamName' in auth ? auth.currentTeamName : null
    return c.json<MeBody>({ member, team })
  })
  return app
}

async function cacheOf(
  cache: OursSpec['cache'],
  fixtures: FixtureInfo
): Promise<CacheStore | 'memory'> {
  if (cache === 'redis') return (await import('ayz-auth/ioredis')).redisCache(fixtures.redisUrl)
  if (cache === 'upstash') return (await import('ayz-auth/upstash')).upstashCache(fixtures.upstash)
  return 'memory'
}

/** The built package's modules whose exports a scenario may need, by name. */
const MODULES = {
  'ayz-auth': () => import('ayz-auth'),
  'ayz-auth/ioredis': () => import('ayz-auth/ioredis'),
}

/** Export `name` of `module`; {@link NotAvailable} when the built package lacks it. */
async function exported(module: keyof typeof MODULES, name: string): Promise<unknown> {
  const exports: Record<string, unknown> = await MODULES[module]()
  if (name in exports) return exports[name]
  throw new NotAvailable(`the built package has no ${name} export in ${module}`)
}

/** `rateLimit` of ayz-auth, as the rate-limit rows call it (a limit that never refuses). */
type RateLimit = (options: {
  limit: number
  window: number
  store?: CacheStore
}) => MiddlewareHandler<AuthEnv>
const NEVER_REFUSED = { limit: 50_000_000, window: 60 }

/** Middleware after `stytchAuth()` on the L1 hit route, by the name a scenario gives (`extra`). */
const EXTRAS: Record<Extra, (fixtures: FixtureInfo) => Promise<MiddlewareHandler<AuthEnv>>> = {
  'rate-limit-memory': async () =>
    ((await exported('ayz-auth', 'rateLimit')) as RateLimit)(NEVER_REFUSED),
  'rate-limit-redis': async ({ redisUrl }) =>
    ((await exported('ayz-auth', 'rateLimit')) as RateLimit)({
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

/**
 * A scenario still to write: not available while the built package lacks the export it needs,
 * then until its server code replaces this (see the pending rows of the catalog).
 *
 * @example
 * ```ts
 * await pendingApp({ kind: 'pending', module: 'ayz-auth', name: 'apiKeyAuth' }) // throws NotAvailable
 * ```
 */
export async function pendingApp(spec: Extract<AppSpec, { kind: 'pending' }>): Promise<BenchApp> {
  await exported(spec.module, spec.name)
  throw new NotAvailable(`${spec.module} exports ${spec.name}: server code not written yet`)
}
