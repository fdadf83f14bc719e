/**
 * @module
 * The fault matrix: each dependency of the library, each way it can fail, what a user's request
 * gets while it fails and once it is back. Defined once, as data: `fault-matrix.test.ts` runs one
 * test per row, and {@link renderFaultMatrix} writes the README's table from the same rows.
 */

/** A dependency of the library. */
export type Dependency =
  'Stytch API' | 'JWKS' | 'RBAC policy' | 'Redis' | 'Upstash' | 'MongoDB' | 'Data API'

/**
 * A request a row sends. Each goes to `GET /api/me` (`stytchAuth()` alone) except the entitlement
 * guards, which go to `GET /api/entitled` (`requireEntitlement('foresight')`), and the permission
 * guards, which go to `GET /api/permitted` (`requirePermission('documents', 'read')`).
 */
export type ProbeRequest =
  | 'session token'
  | 'cached session token'
  | 'session JWT'
  | 'session JWT, key set cached'
  | 'revoked session token'
  | 'JWT signed by the new key'
  | 'JWT signed by the previous key'
  | 'JWT with an unknown kid'
  | 'entitlement guard'
  | 'entitlement guard, organization cached'
  | 'permission guard'
  | 'permission guard, policy cached'

/** The error `type` of a JSON error body. */
export type ErrorType = 'stytch_api' | 'entitlements' | 'token_verification'

/** What one request must get. */
export interface Expectation {
  readonly request: ProbeRequest
  readonly status: 200 | 401 | 403 | 503
  readonly type?: ErrorType
  /** A 503's `Retry-After` in seconds: Stytch's own when it sent one, else the default 5. */
  readonly retryAfter?: number
}

/** The configured time limit a row's requests must finish within. */
export type Bound = 'stytch' | 'jwks' | 'redis' | 'upstash' | 'mongo' | 'data-api' | 'local'

/** One row of the matrix. */
export interface FaultRow {
  readonly id: string
  readonly dependency: Dependency
  readonly fault: string
  /** What requests get while the fault lasts. */
  readonly during: readonly Expectation[]
  /** What requests to the same app get once the fault is removed. */
  readonly after: readonly Expectation[]
  readonly bound: Bound
  readonly behaviour: string
}

const ok = (request: ProbeRequest): Expectation => ({ request, status: 200 })
const stytchDown = (request: ProbeRequest): Expectation => ({
  request,
  status: 503,
  type: 'stytch_api',
})
const entitlementsDown: Expectation = {
  request: 'entitlement guard',
  status: 503,
  type: 'entitlements',
}

const STYTCH_503 =
  'Retried with backoff (network errors, 429, 5xx) inside the `timeoutMs` budget, then 503 with `Retry-After`. Nothing is remembered about the failure: the same token is accepted as soon as Stytch answers.'

const POLICY_503 =
  'With no policy cached, a permission check cannot be decided: 503, never a 403 that would deny a member what their role grants. Authentication is unaffected. A failed load is answered from memory for 5 s, then Stytch is asked again.'

/** Every row, in the order of the README's table. */
export const FAULT_MATRIX = [
  {
    id: 'stytch-down',
    dependency: 'Stytch API',
    fault: 'down (connection refused)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: STYTCH_503,
  },
  {
    id: 'stytch-down-jwt',
    dependency: 'Stytch API',
    fault: 'down, request with a session JWT',
    during: [ok('session JWT, key set cached'), stytchDown('session token')],
    after: [ok('session JWT'), ok('session token')],
    bound: 'stytch',
    behaviour:
      "Session JWTs are verified locally against the cached key set, so they keep working through a Stytch outage, until the key set's 10-minute cache expires (then they get 503 too).",
  },
  {
    id: 'stytch-reset',
    dependency: 'Stytch API',
    fault: 'connection reset mid-request',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: STYTCH_503,
  },
  {
    id: 'stytch-hung',
    dependency: 'Stytch API',
    fault: 'hung (accepts, never answers)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour:
      "Each attempt is aborted by the library (the SDK's own `timeout` option does nothing); the request, retries included, never waits past `timeoutMs`.",
  },
  {
    id: 'stytch-slow',
    dependency: 'Stytch API',
    fault: 'slow (300 ms, inside the budget)',
    during: [ok('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: 'Waited for: a slow answer inside `timeoutMs` is a normal 200.',
  },
  {
    id: 'stytch-too-slow',
    dependency: 'Stytch API',
    fault: 'slow (5 s, beyond the budget)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: 'Given up at `timeoutMs`, then 503 with `Retry-After`.',
  },
  {
    id: 'stytch-429-retry-after',
    dependency: 'Stytch API',
    fault: '429 with `Retry-After: 30`',
    during: [{ ...stytchDown('session token'), retryAfter: 30 }],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour:
      "Retried within the budget, then 503 with Stytch's own `Retry-After: 30`, passed on (the library asks Stytch over `fetch` and reads the header, which the stytch SDK never exposes).",
  },
  {
    id: 'stytch-429',
    dependency: 'Stytch API',
    fault: '429 without `Retry-After`',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: 'Retried within the budget, then 503 with `Retry-After: 5`.',
  },
  {
    id: 'stytch-500',
    dependency: 'Stytch API',
    fault: '500',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: STYTCH_503,
  },
  {
    id: 'stytch-non-json',
    dependency: 'Stytch API',
    fault: 'non-JSON body (an HTML 502 page)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: STYTCH_503,
  },
  {
    id: 'stytch-truncated-json',
    dependency: 'Stytch API',
    fault: 'truncated JSON (200)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour: 'An unparseable body is an outage, never a 200 or a 401.',
  },
  {
    id: 'stytch-wrong-shape',
    dependency: 'Stytch API',
    fault: 'valid JSON of the wrong shape (200, `member_session: null`)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour:
      'The body is validated: a 200 without a usable session is a 503 and an ERROR log, never a session.',
  },
  {
    id: 'stytch-credentials',
    dependency: 'Stytch API',
    fault: 'refuses our credentials (401 `unauthorized_credentials`)',
    during: [stytchDown('session token')],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour:
      "Our misconfiguration, not the user's: 503 and an ERROR log naming `STYTCH_PROJECT_ID`/`STYTCH_SECRET`, never a 401 that would log every user out. Not retried.",
  },
  {
    id: 'stytch-revoked',
    dependency: 'Stytch API',
    fault: 'says the session is gone (404 `session_not_found`)',
    during: [{ request: 'revoked session token', status: 401, type: 'token_verification' }],
    after: [ok('session token')],
    bound: 'stytch',
    behaviour:
      'Invalid, expired and revoked tokens get 401 with `WWW-Authenticate: Bearer`. The rejection is remembered for 10 s: repeating the token costs no Stytch call.',
  },
  {
    id: 'jwks-unreachable',
    dependency: 'JWKS',
    fault: 'unreachable (500)',
    during: [stytchDown('session JWT'), ok('session token')],
    after: [ok('session JWT')],
    bound: 'jwks',
    behaviour:
      'Session JWTs cannot be checked: 503, never a 401. Session tokens (verified by Stytch) are unaffected.',
  },
  {
    id: 'jwks-hung',
    dependency: 'JWKS',
    fault: 'hung',
    during: [stytchDown('session JWT'), ok('session token')],
    after: [ok('session JWT')],
    bound: 'jwks',
    behaviour: 'The key-set fetch is aborted at `timeoutMs` (at most 5 s), then 503.',
  },
  {
    id: 'jwks-rotated',
    dependency: 'JWKS',
    fault: 'key rotated (both keys published)',
    during: [ok('JWT signed by the new key'), ok('JWT signed by the previous key')],
    after: [ok('JWT signed by the new key')],
    bound: 'jwks',
    behaviour:
      'The key is chosen by `kid`: JWTs of both keys verify locally, with no call to Stytch.',
  },
  {
    id: 'jwks-previous-key-dropped',
    dependency: 'JWKS',
    fault: 'previous key unpublished',
    during: [
      { request: 'JWT signed by the previous key', status: 401, type: 'token_verification' },
      ok('JWT signed by the new key'),
    ],
    after: [ok('JWT signed by the new key')],
    bound: 'jwks',
    behaviour:
      'A JWT whose key is no longer published is rejected locally, with no call to Stytch.',
  },
  {
    id: 'jwks-rotated-recently-fetched',
    dependency: 'JWKS',
    fault: 'key rotated less than 5 s after the app fetched the key set',
    during: [{ request: 'JWT signed by the new key', status: 401, type: 'token_verification' }],
    after: [ok('JWT signed by the new key')],
    bound: 'jwks',
    behaviour:
      'The key set is refetched for an unknown `kid` at most once per 5 s, so for up to 5 s after its last fetch an app rejects JWTs of a brand-new key (and remembers each such rejection for 10 s). Once the cooldown has passed, the next such JWT refetches the key set and verifies.',
  },
  {
    id: 'jwks-unknown-kid',
    dependency: 'JWKS',
    fault: 'JWT with an unknown `kid`',
    during: [{ request: 'JWT with an unknown kid', status: 401, type: 'token_verification' }],
    after: [ok('session JWT')],
    bound: 'local',
    behaviour:
      'Rejected locally without a call to `/sessions/authenticate`; the key set is refetched at most once per 5 s.',
  },
  {
    id: 'policy-unreachable',
    dependency: 'RBAC policy',
    fault: 'unreachable (connection reset), nothing cached',
    during: [ok('session token'), stytchDown('permission guard')],
    after: [ok('permission guard')],
    bound: 'stytch',
    behaviour: POLICY_503,
  },
  {
    id: 'policy-500',
    dependency: 'RBAC policy',
    fault: '500, nothing cached',
    during: [ok('session token'), stytchDown('permission guard')],
    after: [ok('permission guard')],
    bound: 'stytch',
    behaviour: POLICY_503,
  },
  {
    id: 'policy-hung',
    dependency: 'RBAC policy',
    fault: 'hung, nothing cached',
    during: [ok('session token'), stytchDown('permission guard')],
    after: [ok('permission guard')],
    bound: 'stytch',
    behaviour: 'The policy request is aborted at `timeoutMs`, then as above.',
  },
  {
    id: 'policy-wrong-shape',
    dependency: 'RBAC policy',
    fault: 'valid JSON of the wrong shape (200, no `policy`)',
    during: [ok('session token'), stytchDown('permission guard')],
    after: [ok('permission guard')],
    bound: 'stytch',
    behaviour:
      'The body is validated: an unusable policy is a 503 and an ERROR log, never a policy.',
  },
  {
    id: 'policy-stale',
    dependency: 'RBAC policy',
    fault: 'unreachable, policy cached and past `policyTtl`',
    during: [ok('permission guard, policy cached')],
    after: [ok('permission guard, policy cached')],
    bound: 'local',
    behaviour:
      'The cached policy keeps deciding (200 or 403) without waiting, for up to `policyMaxStale` (default 1 h), with one WARN; the background refresh is retried every 5 s and the new policy is used once Stytch answers.',
  },
  {
    id: 'redis-down-at-start',
    dependency: 'Redis',
    fault: 'down when the app starts',
    during: [ok('session token')],
    after: [ok('session token')],
    bound: 'redis',
    behaviour:
      'Served from process memory and Stytch; one command timeout, then the circuit breaker fails fast for `cooldownMs` (default 2 s) before trying again. Entries are written again once Redis answers.',
  },
  {
    id: 'redis-killed',
    dependency: 'Redis',
    fault: 'killed mid-run',
    during: [ok('cached session token'), ok('session token')],
    after: [ok('session token')],
    bound: 'redis',
    behaviour:
      'As above; a "cache degraded" warning is logged once, and "cache recovered" when Redis is back.',
  },
  {
    id: 'redis-slow',
    dependency: 'Redis',
    fault: 'slow (every command paused 1.5 s)',
    during: [ok('session token'), ok('cached session token')],
    after: [ok('session token')],
    bound: 'redis',
    behaviour:
      'A command slower than `commandTimeoutMs` counts as a miss: the request goes on to Stytch instead of waiting.',
  },
  {
    id: 'redis-flapping',
    dependency: 'Redis',
    fault: 'flapping (killed and restarted three times)',
    during: [ok('session token'), ok('cached session token')],
    after: [ok('session token')],
    bound: 'redis',
    behaviour: 'Every request is served through each outage and each return; never a 5xx.',
  },
  {
    id: 'upstash-401',
    dependency: 'Upstash',
    fault: '401 (token rejected)',
    during: [ok('session token'), ok('cached session token')],
    after: [ok('session token')],
    bound: 'upstash',
    behaviour:
      'Served from process memory and Stytch; the circuit breaker stops asking for `cooldownMs`.',
  },
  {
    id: 'upstash-500',
    dependency: 'Upstash',
    fault: '500',
    during: [ok('session token'), ok('cached session token')],
    after: [ok('session token')],
    bound: 'upstash',
    behaviour: 'As above.',
  },
  {
    id: 'upstash-refused',
    dependency: 'Upstash',
    fault: 'refusing connections',
    during: [ok('session token'), ok('cached session token')],
    after: [ok('session token')],
    bound: 'upstash',
    behaviour: "As above, with one quick retry instead of the client's default 4.3 s of backoff.",
  },
  {
    id: 'mongo-down',
    dependency: 'MongoDB',
    fault: 'down mid-run, organization not cached',
    during: [ok('session token'), entitlementsDown],
    after: [ok('entitlement guard')],
    bound: 'mongo',
    behaviour:
      'Authentication still succeeds (entitlement fields null, status `unavailable`); entitlement guards answer 503, never a 403 upgrade prompt. The team is read on every request, but a circuit breaker stops asking the failed source for 2 s: one request waits up to `queryTimeoutMs` now and then, the others not at all.',
  },
  {
    id: 'mongo-down-at-start',
    dependency: 'MongoDB',
    fault: 'down when the app starts',
    during: [ok('session token'), entitlementsDown],
    after: [ok('entitlement guard')],
    bound: 'mongo',
    behaviour:
      'As above. The driver closes a client whose first connection failed for good ("Topology is closed"); the adapter connects it again on a later query, so entitlements return with MongoDB.',
  },
  {
    id: 'mongo-down-cached',
    dependency: 'MongoDB',
    fault: 'down, organization cached',
    during: [ok('entitlement guard, organization cached')],
    after: [ok('entitlement guard, organization cached')],
    bound: 'mongo',
    behaviour: 'The cached organization (1 h) is served; the team, read fresh, is null meanwhile.',
  },
  {
    id: 'mongo-slow',
    dependency: 'MongoDB',
    fault: 'slow (2 s, beyond the query timeout)',
    during: [ok('session token'), entitlementsDown],
    after: [ok('entitlement guard')],
    bound: 'mongo',
    behaviour:
      'The request stops waiting for a query at `queryTimeoutMs` (the query carries it as `maxTimeMS`, so the server ends it too; on a client the app passed, it is also cancelled); as when down.',
  },
  {
    id: 'mongo-dropped-once',
    dependency: 'MongoDB',
    fault: 'connection dropped mid-query (once)',
    during: [{ request: 'entitlement guard', status: 200 }],
    after: [ok('entitlement guard')],
    bound: 'mongo',
    behaviour: 'The driver retries the read once on a new connection: the user never notices.',
  },
  {
    id: 'mongo-dropped-always',
    dependency: 'MongoDB',
    fault: 'connection dropped on every query',
    during: [ok('session token'), entitlementsDown],
    after: [ok('entitlement guard')],
    bound: 'mongo',
    behaviour: 'As when down.',
  },
  {
    id: 'mongo-malformed',
    dependency: 'MongoDB',
    fault: 'malformed documents',
    during: [ok('session token'), { request: 'entitlement guard', status: 403 }],
    after: [ok('session token')],
    bound: 'mongo',
    behaviour:
      'Each malformed field is logged (ERROR) and read as absent: no entitlements, no tier, no team. Never a 5xx.',
  },
  {
    id: 'data-api-down',
    dependency: 'Data API',
    fault: 'down',
    during: [ok('session token'), entitlementsDown],
    after: [ok('entitlement guard')],
    bound: 'data-api',
    behaviour: 'As MongoDB down.',
  },
] as const satisfies readonly FaultRow[]

/** The id of a row. */
export type FaultRowId = (typeof FAULT_MATRIX)[number]['id']

const BOUND_LABELS: Record<Bound, string> = {
  stytch: '`timeoutMs` (default 10 s), retries included',
  jwks: 'key-set fetch: `timeoutMs`, at most 5 s',
  redis: 'Redis `commandTimeoutMs` (default 250 ms)',
  upstash: 'Upstash `commandTimeoutMs` (default 500 ms)',
  mongo: 'MongoDB `queryTimeoutMs` (default 1 s)',
  'data-api': 'Data API `timeoutMs` (default 2 s)',
  local: 'no network wait',
}

/**
 * The matrix as a Markdown table, for the README between `<!-- fault-matrix:start -->` and
 * `<!-- fault-matrix:end -->`.
 *
 * @example
 * ```ts
 * console.log(renderFaultMatrix())
 * ```
 */
export function renderFaultMatrix(rows: readonly FaultRow[] = FAULT_MATRIX): string {
  const header = [
    'Dependency',
    'Fault',
    'While it lasts',
    'Longest wait',
    'Once it is removed',
    'Behaviour',
  ]
  const lines = [row(header), row(header.map(() => '---'))]
  for (const fault of rows) {
    lines.push(
      row([
        fault.dependency,
        fault.fault,
        outcomes(fault.during),
        BOUND_LABELS[fault.bound],
        outcomes(fault.after),
        fault.behaviour,
      ])
    )
  }
  return lines.join('\n')
}

function outcomes(expectations: readonly Expectation[]): string {
  return expectations
    .map(({ request, status, type }) => `${request} → ${status}${type ? ` \`${type}\`` : ''}`)
    .join('<br>')
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
}
