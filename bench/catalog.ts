/**
 * @module
 * The scenarios of a run, in their forward order (every other round runs them backwards): a
 * label in {@link LABELS}, an entry in {@link SCENARIOS}. A loaded scenario is measured under load
 * in 1-s slices interleaved with every other's; a probe is the same on one connection (latency
 * without queueing); a cold scenario sends exact counts of new tokens, then a stampede.
 */
import type { Route } from './server/peers.ts'
import type { AppSpec, Carrier, MeBody, TokenSet } from './spec.ts'

/** Each scenario's row in the tables, by id. */
const LABELS = {
  baseline: 'baseline: no auth',
  'baseline-middleware': 'baseline + one empty async middleware',
  'otel-baseline': "baseline + @hono/otel's request span",
  naive: 'naive: sessions.authenticate per request',
  'baseline-jwt': 'baseline: no auth, JWT-sized request',
  'baseline-cookie': 'baseline: no auth, stytch_session cookie request',
  'baseline-jwt-cookie': 'baseline: no auth, stytch_session_jwt cookie request',
  'baseline-m2m': 'baseline: no auth, M2M-token-sized request',
  'jwt-per-request': 'per-request JWT (jose + cached JWKS)',
  'baseline-api-key': 'baseline: no auth, API-key request',
  'baseline-auth0': 'baseline: no auth, Auth0-token request',
  'jwt-per-request-auth0': 'per-request Auth0 JWT (jose + cached JWKS)',
  'hand-hit': 'hand-written hit: SHA-256 + Map',
  'hand-hit-cookie': 'hand-written hit: SHA-256 + Map, stytch_session cookie',
  'hand-hit-jwt': 'hand-written hit: SHA-256 + Map, session JWT',
  'hand-hit-jwt-raw': 'hand-written hit: the session JWT itself as the Map key',
  l1: 'ours: session token, L1 hit',
  'l1-permission': "ours: L1 hit, through requirePermission('documents', 'read')",
  'l1-pass-through': 'ours: L1 hit, through a pass-through middleware `(c, next) => next()`',
  'l1-telemetry': 'ours: L1 hit, telemetry on',
  'l1-cookie': 'ours: session token in the stytch_session cookie, L1 hit',
  'hand-redis':
    'hand-written Redis read: GET + JSON.parse of the session and its Stytch response (ioredis)',
  'l2-redis': 'ours: L2 Redis hit, L1 off',
  upstash: 'ours: Upstash hit, L1 off',
  jwt: 'ours: session JWT',
  m2m: "ours: M2M token, L1 hit (acceptTokens: ['session', 'm2m'])",
  'jwt-cookie': 'ours: session JWT in the stytch_session_jwt cookie',
  'hand-mongo': 'hand-written hit + team read per request (mongodb driver)',
  entitlements: 'ours: + entitlements (fresh team)',
  'require-entitlement': "ours: + requireEntitlement('foresight')",
  'team-ttl': 'ours: + entitlements, teamTtl: 60',
  'hono-rate-limiter-redis': 'ours: L1 hit + hono-rate-limiter (RedisStore)',
  'rate-limit-memory': 'ours: L1 hit + rateLimit (memory)',
  'rate-limit-redis': 'ours: L1 hit + rateLimit (Redis store)',
  'api-key': "ours: API key, cached (acceptTokens: ['api_key'], keys in MongoDB)",
  auth0: 'ours: Auth0 token, cached (auth0Auth())',
  'probe-baseline': 'baseline, 1 connection',
  'probe-l1': 'ours: L1 hit, 1 connection',
  'cold-naive': 'naive',
  cold: 'ours',
}

/** A scenario's id. */
type Id = keyof typeof LABELS

/** A scenario's place in the tables: the order of {@link LABELS} (bare apps and peers first). */
export const rowOf = (id: string): number => Object.keys(LABELS).indexOf(id)

/**
 * A scenario measured under load, slice by slice: the app, the tokens it rotates over and how each
 * request carries them (its baseline receives the very same requests), the route of an ayz-auth
 * app, whether to prime (each token verified and cached first), one connection instead of the
 * run's (`probe`), what a right answer looks like, what the primed server must show else the build
 * lacks the feature (a header, spans ended), and the build: the run's or `--compare`'s.
 */
export interface LoadScenario {
  readonly type: 'load'
  readonly id: string
  readonly label: string
  readonly app: AppSpec
  readonly tokens: TokenSet
  readonly carrier: Carrier
  readonly route: Route
  readonly prime: boolean
  readonly probe: boolean
  readonly expect: (body: MeBody) => boolean
  readonly requires?: { readonly header: string; readonly spans: boolean }
  readonly build: 'main' | 'compare'
}

/** New tokens, each sent once, then a stampede for one more. */
export type ColdScenario = {
  readonly type: 'cold'
  readonly id: string
  readonly label: string
  readonly app: AppSpec
}
/** Any step of a round. */
export type Scenario = LoadScenario | ColdScenario

const anonymous = (body: MeBody): boolean => body.member === 'anonymous'
const member = (body: MeBody): boolean => body.member?.startsWith('member-') === true
const machine = (body: MeBody): boolean => body.member?.startsWith('m2m-client-') === true
const withTeam = (body: MeBody): boolean => member(body) && body.team === 'Research'
const someone = (body: MeBody): boolean => typeof body.member === 'string' && body.member !== ''

type Ours = Extract<AppSpec, { kind: 'ours' }>
const OURS: Ours = { kind: 'ours', cache: 'memory', entitlements: 'none' }
const ours = (more: Partial<Ours> = {}): Ours => ({ ...OURS, ...more })
const BASELINE: AppSpec = { kind: 'baseline' }
const HAND: AppSpec = { kind: 'hand' }
const JWTS = { tokens: 'jwts' } as const
const SESSION_COOKIE = { carrier: 'session-cookie' } as const
const TEAM = { expect: withTeam } as const
const AUTH0 = { tokens: 'auth0', expect: someone } as const
/** What the telemetry scenario's primed server must show: a Server-Timing header, spans ended. */
const TELEMETRY = { header: 'server-timing', spans: true }

/** A loaded scenario: session tokens by Bearer on the plain route unless `more` says otherwise. */
const load = (id: Id, app: AppSpec, more: Partial<LoadScenario> = {}): LoadScenario => ({
  ...{ type: 'load', id, label: LABELS[id], app, tokens: 'sessions', carrier: 'bearer' },
  // The hand-written apps fill their caches from Stytch as ours does: no process is measured
  // without the HTTP client having run in it (see `bench/README.md`).
  ...{ route: 'plain', prime: app.kind === 'ours' || app.kind === 'hand', probe: false },
  build: 'main',
  expect: app.kind === 'baseline' ? anonymous : member,
  ...more,
})

/**
 * Every scenario, in forward order (`heap`, the memory measurement, runs after the rounds): the
 * rows a target compares side by side, so that a change in the machine's speed between slices
 * reaches both (the L1 hit between its peers and the rows measured against it).
 */
export const SCENARIOS: readonly Scenario[] = [
  load('baseline-middleware', { kind: 'baseline', middleware: 'empty' }),
  load('naive', { kind: 'naive' }),
  load('otel-baseline', { kind: 'baseline', middleware: 'otel' }),
  load('l1-telemetry', ours({ telemetry: true }), { requires: TELEMETRY }),
  load('baseline', BASELINE),
  load('team-ttl', ours({ entitlements: 'load', teamTtl: 60 }), TEAM),
  load('hand-hit', HAND),
  load('l1', ours()),
  load('l1-permission', ours(), { route: 'permission' }),
  load('rate-limit-memory', ours({ extra: 'rate-limit-memory' })),
  load('l1-pass-through', ours(), { route: 'pass-through' }),
  load('l1-cookie', ours(), SESSION_COOKIE),
  load('hand-hit-cookie', HAND, SESSION_COOKIE),
  load('baseline-cookie', BASELINE, SESSION_COOKIE),
  load('hono-rate-limiter-redis', ours({ extra: 'hono-rate-limiter-redis' })),
  load('rate-limit-redis', ours({ extra: 'rate-limit-redis' })),
  load('hand-redis', { kind: 'hand', read: 'redis' }),
  load('l2-redis', ours({ cache: 'redis' })),
  load('upstash', ours({ cache: 'upstash' })),
  load('hand-mongo', { kind: 'hand', read: 'mongo' }, TEAM),
  load('entitlements', ours({ entitlements: 'load' }), TEAM),
  load('require-entitlement', ours({ entitlements: 'require' }), TEAM),
  load('baseline-jwt', BASELINE, JWTS),
  load('hand-hit-jwt', HAND, JWTS),
  load('jwt', ours(), JWTS),
  load('hand-hit-jwt-raw', { kind: 'hand', keyedBy: 'token' }, JWTS),
  load('jwt-per-request', { kind: 'jwt-per-request' }, JWTS),
  load('jwt-cookie', ours(), { ...JWTS, carrier: 'jwt-cookie' }),
  load('baseline-jwt-cookie', BASELINE, { ...JWTS, carrier: 'jwt-cookie' }),
  load('m2m', ours({ acceptTokens: ['session', 'm2m'] }), { tokens: 'm2m', expect: machine }),
  // An M2M token is about half a session JWT's size: the JWT-sized baseline is not its own.
  load('baseline-m2m', BASELINE, { tokens: 'm2m' }),
  load('api-key', ours({ acceptTokens: ['api_key'] }), { tokens: 'api_keys', expect: someone }),
  load('baseline-api-key', BASELINE, { tokens: 'api_keys' }),
  load('auth0', ours({ provider: 'auth0' }), AUTH0),
  load('jwt-per-request-auth0', { kind: 'jwt-per-request', jwks: 'auth0' }, AUTH0),
  load('baseline-auth0', BASELINE, { tokens: 'auth0' }),
  load('probe-baseline', BASELINE, { probe: true }),
  load('probe-l1', ours(), { probe: true }),
  { type: 'cold', id: 'cold-naive', label: LABELS['cold-naive'], app: { kind: 'naive' } },
  { type: 'cold', id: 'cold', label: LABELS.cold, app: ours() },
]

/** The hit scenarios (in process, in Redis, with entitlements) `--compare` also measures with the second build. */
export const COMPARED = [
  'l1',
  'l1-cookie',
  'jwt',
  'jwt-cookie',
  'm2m',
  'entitlements',
  'l2-redis',
  'team-ttl',
]
/** The id of a scenario's twin on the `--compare` build. */
export const compareId = (id: string): string => `${id}@compare`

/**
 * The scenarios of a run: those in `only` (all when empty) and, with `compare`, a twin of each
 * selected {@link COMPARED} scenario on the second build.
 */
export function selectScenarios(only: readonly string[], compare: boolean): Scenario[] {
  return SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id)).flatMap((s) =>
    compare && s.type === 'load' && COMPARED.includes(s.id)
      ? [s, { ...s, id: compareId(s.id), label: `${s.label}, compare build`, build: 'compare' }]
      : [s]
  )
}

/**
 * The baseline a loaded scenario is compared with: the app without auth receiving the same
 * requests (same tokens, same carrier); `baseline` when there is none.
 */
export function baselineOf(id: string): string {
  const requests = (s?: Scenario) => (s?.type === 'load' ? `${s.tokens} ${s.carrier}` : '')
  const scenario = SCENARIOS.find((s) => s.id === id.replace(/@compare$/, ''))
  const bare = (s: Scenario) => s.type === 'load' && s.app.kind === 'baseline' && !s.app.middleware
  return SCENARIOS.find((s) => bare(s) && requests(s) === requests(scenario))?.id ?? 'baseline'
}
