/**
 * @module
 * The memory measurement (run with `--expose-gc`): distinct tokens authenticated one after another
 * through `stytchAuth()` with the default in-process cache (bound: 10,000 entries), each verified
 * by `testVerifier` (no network) into a session carrying a realistic raw Stytch response; heap
 * used after full GC at checkpoints, sent as `{ ready: { checkpoints, failures } }`.
 * Argument: how many distinct tokens.
 */
import { stytchAuth, type AuthEnv } from 'ayz-auth'
import { createAuthContext, testVerifier } from 'ayz-auth/testing'
import { Hono } from 'hono'
import type { HeapCheckpoint } from './record.ts'

const total = Number(process.argv[2] ?? '100000')
const at = [10_000, 25_000, 50_000, 75_000, 100_000, total].filter(
  (n, i, all) => n <= total && all.indexOf(n) === i
)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

/** A session as Stytch returns it (minus tokens), with ids of its own. */
function sessionOf(token: string) {
  const id = token.slice(5, 13)
  const uuid = `00000000-0000-4000-8000-0000${id}`
  const [memberId, sessionId] = [`member-test-${uuid}`, `member-session-test-${uuid}`]
  const organizationId = 'organization-test-00000000-0000-4000-8000-000000000789'
  const [email, name, now] = [`user-${id}@example.com`, `User ${id}`, new Date().toISOString()]
  const ids = { member_id: memberId, organization_id: organizationId }
  const dates = { created_at: now, updated_at: now }
  const factor = {
    type: 'magic_link',
    delivery_method: 'email',
    last_authenticated_at: now,
    ...dates,
  }
  const roles = [
    { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
  ]
  const expires_at = new Date(Date.now() + 3_600_000).toISOString()
  const member_session = {
    ...{ ...ids, member_session_id: sessionId, organization_slug: 'acme', started_at: now },
    ...{ last_accessed_at: now, expires_at, roles: ['stytch_member'], custom_claims: {} },
    authentication_factors: [
      { ...factor, email_factor: { email_id: `email-test-${uuid}`, email_address: email } },
    ],
  }
  const member = { ...ids, ...dates, email_address: email, name, status: 'active', roles }
  const organization = {
    organization_id: organizationId,
    organization_name: 'Acme',
    organization_slug: 'acme',
  }
  const rawSession = {
    status_code: 200,
    request_id: `request-id-test-${uuid}`,
    member_session,
    member,
    organization,
  }
  const fields = { memberId, sessionId, organizationId, memberEmail: email, memberName: name }
  return createAuthContext({ ...fields, authenticationFactors: ['magic_link'], rawSession })
}

const app = new Hono<AuthEnv>()
const options = { entitlements: null, cache: 'memory', maxVerificationsPerSecond: 1e9 } as const
app.use('*', stytchAuth({ ...options, verifier: testVerifier(sessionOf), logLevel: 'ERROR' }))
app.get('/', (c) => c.text(c.var.auth.memberId))

let failures = 0
/** Authenticates the `i`-th token (shaped like Stytch's: 44 characters). */
const authenticate = async (i: number): Promise<void> => {
  const token = `heap-${i.toString(36).padStart(8, '0')}`.padEnd(44, 'x')
  const res = await app.request('/', { headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 200) failures++
  await res.text()
}
const heapUsed = (): number => (gc(), gc(), process.memoryUsage().heapUsed)

// Build the runtime and compile the path with tokens outside the measured range first.
for (let i = 0; i < 200; i++) await authenticate(total + i)
const checkpoints: HeapCheckpoint[] = [{ tokens: 0, heapUsedBytes: heapUsed() }]
for (let done = 0; done < total;) {
  const batch = Math.min(100, total - done)
  await Promise.all(Array.from({ length: batch }, (_, k) => authenticate(done + k)))
  done += batch
  if (at.includes(done)) checkpoints.push({ tokens: done, heapUsedBytes: heapUsed() })
}
process.send?.({ ready: { checkpoints, failures } }, () => process.exit(0))
