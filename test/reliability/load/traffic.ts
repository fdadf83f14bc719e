/**
 * What a load run sends: thousands of real sessions (tokens and JWTs, some with entitlements in
 * MongoDB) mixed with a fifth of invalid requests (tokens Stytch never issued, forged JWTs,
 * garbage, none), each kind with the statuses it may get.
 */
import { randomBytes } from 'node:crypto'
import type { HandlerLedger } from '../ledger.ts'
import type { World } from '../world.ts'
import type { LoadProfile } from './profile.ts'

/** The kinds of request a load run sends. */
export type RequestKind =
  | 'session token'
  | 'session JWT'
  | 'entitled member'
  | 'unentitled member'
  | 'invented token'
  | 'forged JWT'
  | 'garbage'
  | 'no token'

/** One request to send. */
export interface PlannedRequest {
  readonly kind: RequestKind
  readonly path: '/api/me' | '/api/entitled'
  readonly headers: Record<string, string>
}

/** How often each kind is sent (weights), where it goes, and what it may get back. */
const KINDS: Readonly<
  Record<RequestKind, { weight: number; path: PlannedRequest['path']; allowed: readonly number[] }>
> = {
  'session token': { weight: 40, path: '/api/me', allowed: [200, 503] },
  'session JWT': { weight: 25, path: '/api/me', allowed: [200, 503] },
  'entitled member': { weight: 10, path: '/api/entitled', allowed: [200, 503] },
  'unentitled member': { weight: 5, path: '/api/entitled', allowed: [403, 503] },
  'invented token': { weight: 8, path: '/api/me', allowed: [401, 503] },
  'forged JWT': { weight: 5, path: '/api/me', allowed: [401] },
  garbage: { weight: 4, path: '/api/me', allowed: [401] },
  'no token': { weight: 3, path: '/api/me', allowed: [401] },
}

/** The statuses a kind of request may get (503 only while a fault is on; checked elsewhere). */
export function allowedStatuses(kind: RequestKind): readonly number[] {
  return KINDS[kind].allowed
}

/** The share of requests that carry no valid credential. */
export const INVALID_SHARE =
  (['invented token', 'forged JWT', 'garbage', 'no token'] as const).reduce(
    (sum, kind) => sum + KINDS[kind].weight,
    0
  ) / Object.values(KINDS).reduce((sum, { weight }) => sum + weight, 0)

/** The traffic of a run. */
export interface Traffic {
  /** Every valid request once (session tokens, JWTs, guarded routes): the warm-up. */
  readonly warmUp: readonly PlannedRequest[]
  /** The next request to send, drawn at random by weight. */
  next(): PlannedRequest
}

const INVENTED_POOL = 20_000
const FORGED_POOL = 2_000

/**
 * Seeds the sessions (and the customers' documents) and builds the request mix.
 *
 * @example
 * ```ts
 * const traffic = await buildTraffic(world, ledger, profile)
 * const request = traffic.next()
 * ```
 */
export async function buildTraffic(
  world: World,
  ledger: HandlerLedger,
  profile: LoadProfile
): Promise<Traffic> {
  const customers: string[] = []
  const tokens: string[] = []
  const jwts: string[] = []
  for (let from = 0; from < profile.sessions; from += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, profile.sessions - from) }, async (_, i) =>
        from + i < profile.customers
          ? (await world.customer(ledger)).session
          : world.session(ledger)
      )
    )
    for (const [i, session] of batch.entries()) {
      ;(from + i < profile.customers ? customers : tokens).push(session.sessionToken)
      jwts.push(session.sessionJwt)
    }
  }
  const invented = Array.from({ length: INVENTED_POOL }, () =>
    randomBytes(33).toString('base64url')
  )
  const [header, payload] = jwts[0]!.split('.')
  const forged = Array.from(
    { length: FORGED_POOL },
    () => `${header}.${payload}.${randomBytes(256).toString('base64url')}`
  )
  const garbage = [
    'x',
    'short',
    'has.two',
    'a'.repeat(5000),
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer a, Bearer b',
    'Bearer ../../etc',
    '"quoted"',
  ]

  const random = seededRandom(0x5eed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const credentials: Record<RequestKind, () => Record<string, string>> = {
    'session token': () => bearer(pick(tokens)),
    'session JWT': () => bearer(pick(jwts)),
    'entitled member': () => bearer(pick(customers)),
    'unentitled member': () => bearer(pick(tokens)),
    'invented token': () => bearer(pick(invented)),
    'forged JWT': () => bearer(pick(forged)),
    garbage: () => {
      const value = pick(garbage)
      return { authorization: value.startsWith('B') ? value : `Bearer ${value}` }
    },
    'no token': () => ({}),
  }
  const kinds = Object.entries(KINDS) as [RequestKind, (typeof KINDS)[RequestKind]][]
  const totalWeight = kinds.reduce((sum, [, { weight }]) => sum + weight, 0)
  const plan = (kind: RequestKind, headers: Record<string, string>): PlannedRequest => ({
    kind,
    path: KINDS[kind].path,
    headers,
  })

  return {
    warmUp: [
      ...tokens.map((token) => plan('session token', bearer(token))),
      ...jwts.map((jwt) => plan('session JWT', bearer(jwt))),
      ...customers.map((token) => plan('entitled member', bearer(token))),
    ],
    next() {
      let roll = random() * totalWeight
      for (const [kind, { weight }] of kinds) {
        roll -= weight
        if (roll < 0) return plan(kind, credentials[kind]())
      }
      return plan('no token', {})
    },
  }
}

/** A small deterministic PRNG (mulberry32), so a run's mix is the same every time. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
