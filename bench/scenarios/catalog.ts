/**
 * @module
 * The scenarios of a run, in their forward order (odd rounds run them backwards so drift cancels).
 * Loaded scenarios run under the load generator for a fixed time; probes are the same with one
 * connection (latency without queueing); cold scenarios send each new token once, then stampede.
 */
import type { Carrier } from '../carriers.ts'
import type { Route } from '../server/common.ts'
import type { AppSpec, MeBody } from '../server/spec.ts'

/** Which pre-made tokens a loaded scenario rotates over: session tokens, session JWTs, M2M access tokens. */
export type TokenSet = 'sessions' | 'jwts' | 'm2m'

/** A fixed-duration measurement under the load generator. */
export interface LoadScenario {
  readonly type: 'load'
  readonly id: string
  readonly label: string
  readonly app: AppSpec
  readonly tokens: TokenSet
  /** Where each request carries its token (and its baseline receives the very same requests). */
  readonly carrier: Carrier
  /** Which route of an ayz-auth app it loads (see `ROUTES`); default `plain`, `GET /api/me`. */
  readonly route?: Route
  /** Send every token once before warming up, so each is verified and cached (ayz-auth apps). */
  readonly prime: boolean
  /** One connection instead of the run's concurrency: latency with no queueing. */
  readonly probe: boolean
  /** Whether a response body shows the scenario is set up as intended (checked before loading). */
  readonly expect: (body: MeBody) => boolean
  /**
   * What the build must show after priming for the scenario to be measured: a response header
   * (lower case) on the sanity check's answer, spans ended in the server. Without it the scenario
   * is reported as not available (the package lacks the feature), not as failed.
   */
  readonly requires?: { readonly header?: string; readonly spans?: boolean }
}

/** New tokens, each sent once, then a stampede for one more. */
export interface ColdScenario {
  readonly type: 'cold'
  readonly id: string
  readonly label: string
  readonly app: AppSpec
}

/** Any step of a round. */
export type Scenario = LoadScenario | ColdScenario

const member = (body: MeBody): boolean =>
  typeof body.member === 'string' && body.member.startsWith('member-')
const machine = (body: MeBody): boolean =>
  typeof body.member === 'string' && body.member.startsWith('m2m-client-')
const memberWithTeam = (body: MeBody): boolean => member(body) && body.team === 'Research'

const ours = (
  cache: 'memory' | 'redis' | 'upstash',
  entitlements: 'none' | 'load' | 'require' = 'none',
  more: Omit<Extract<AppSpec, { kind: 'ours' }>, 'kind' | 'cache' | 'entitlements'> = {}
): AppSpec => ({
  kind: 'ours',
  cache,
  entitlements,
  ...more,
})

/**
 * The baseline a loaded scenario's ratio is taken against: the app without auth (`kind:
 * 'baseline'`) receiving the same requests, i.e. the same tokens carried the same way (a session
 * JWT makes a request about 1.7 KB longer than a session token does; a browser's `Cookie` header
 * carries other cookies too). A scenario with a new kind of request needs its baseline in
 * {@link SCENARIOS}; `baseline` (session tokens, Bearer) when there is none.
 *
 * @example
 * ```ts
 * baselineOf(scenarioById('jwt-cookie')) // 'baseline-jwt-cookie'
 * ```
 */
export function baselineOf(scenario: LoadScenario): string {
  const baseline = SCENARIOS.find(
    (s): s is LoadScenario =>
      s.type === 'load' &&
      s.app.kind === 'baseline' &&
      !s.probe &&
      s.tokens === scenario.tokens &&
      s.carrier === scenario.carrier
  )
  return baseline?.id ?? 'baseline'
}

/**
 * The scenario with id `id`.
 *
 * @example
 * ```ts
 * scenarioById('l1').label // 'ours: session token, L1 hit'
 * ```
 */
export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.id === id)
}

/** Every scenario, in forward order. */
export const SCENARIOS: readonly Scenario[] = [
  {
    type: 'load',
    id: 'baseline',
    label: 'baseline: no auth',
    app: { kind: 'baseline' },
    tokens: 'sessions',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'baseline-middleware',
    label: 'baseline + one empty async middleware',
    app: { kind: 'baseline-middleware' },
    tokens: 'sessions',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'naive',
    label: 'naive: sessions.authenticate per request',
    app: { kind: 'naive' },
    tokens: 'sessions',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'baseline-jwt',
    label: 'baseline: no auth, JWT-sized request',
    app: { kind: 'baseline' },
    tokens: 'jwts',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'baseline-cookie',
    label: 'baseline: no auth, stytch_session cookie request',
    app: { kind: 'baseline' },
    tokens: 'sessions',
    carrier: 'session-cookie',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'baseline-jwt-cookie',
    label: 'baseline: no auth, stytch_session_jwt cookie request',
    app: { kind: 'baseline' },
    tokens: 'jwts',
    carrier: 'jwt-cookie',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    // An M2M access token is a JWT too, but about half a session JWT's size (≈0.8 KB vs ≈1.7 KB):
    // the JWT-sized baseline would not receive the same requests.
    id: 'baseline-m2m',
    label: 'baseline: no auth, M2M-token-sized request',
    app: { kind: 'baseline' },
    tokens: 'm2m',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'jwt-per-request',
    label: 'per-request JWT (jose + cached JWKS)',
    app: { kind: 'jwt-per-request' },
    tokens: 'jwts',
    carrier: 'bearer',
    prime: false,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'l1',
    label: 'ours: session token, L1 hit',
    app: ours('memory'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'l1-permission',
    // The emulator's default policy lets every member (role stytch_member) read documents; the
    // project and organization policies load while priming, then every decision is local.
    label: "ours: session token, L1 hit, through requirePermission('documents', 'read')",
    app: ours('memory'),
    tokens: 'sessions',
    carrier: 'bearer',
    route: 'permission',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'l1-pass-through',
    label: 'ours: session token, L1 hit, through a pass-through middleware `(c, next) => next()`',
    app: ours('memory'),
    tokens: 'sessions',
    carrier: 'bearer',
    route: 'pass-through',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'l1-telemetry',
    label: 'ours: session token, L1 hit, telemetry on',
    app: ours('memory', 'none', { telemetry: true }),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: member,
    requires: { header: 'server-timing', spans: true },
  },
  {
    type: 'load',
    id: 'l1-cookie',
    label: 'ours: session token in the stytch_session cookie, L1 hit',
    app: ours('memory'),
    tokens: 'sessions',
    carrier: 'session-cookie',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'l2-redis',
    label: 'ours: L2 Redis hit, L1 off',
    app: ours('redis'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'upstash',
    label: 'ours: Upstash hit, L1 off',
    app: ours('upstash'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'jwt',
    label: 'ours: session JWT',
    app: ours('memory'),
    tokens: 'jwts',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'm2m',
    label: "ours: M2M token, L1 hit (acceptTokens: ['session', 'm2m'])",
    app: ours('memory', 'none', { acceptTokens: ['session', 'm2m'] }),
    tokens: 'm2m',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: machine,
  },
  {
    type: 'load',
    id: 'jwt-cookie',
    label: 'ours: session JWT in the stytch_session_jwt cookie',
    app: ours('memory'),
    tokens: 'jwts',
    carrier: 'jwt-cookie',
    prime: true,
    probe: false,
    expect: member,
  },
  {
    type: 'load',
    id: 'entitlements',
    label: 'ours: + entitlements (fresh team)',
    app: ours('memory', 'load'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: memberWithTeam,
  },
  {
    type: 'load',
    id: 'require-entitlement',
    label: "ours: + requireEntitlement('foresight')",
    app: ours('memory', 'require'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: false,
    expect: memberWithTeam,
  },
  {
    type: 'load',
    id: 'probe-baseline',
    label: 'baseline, 1 connection',
    app: { kind: 'baseline' },
    tokens: 'sessions',
    carrier: 'bearer',
    prime: false,
    probe: true,
    expect: (body) => body.member === 'anonymous',
  },
  {
    type: 'load',
    id: 'probe-l1',
    label: 'ours: L1 hit, 1 connection',
    app: ours('memory'),
    tokens: 'sessions',
    carrier: 'bearer',
    prime: true,
    probe: true,
    expect: member,
  },
  { type: 'cold', id: 'cold-naive', label: 'naive', app: { kind: 'naive' } },
  { type: 'cold', id: 'cold', label: 'ours', app: ours('memory') },
]
