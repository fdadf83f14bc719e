/**
 * @module
 * The memory measurement (run with `--expose-gc`): distinct tokens authenticated one after another
 * through `stytchAuth()` with the default in-process cache (10,000 entries), each verified by
 * `testVerifier` (no network) into a session with a realistic `rawSession`; heap used after full
 * GCs at checkpoints. Sends a {@link HeapResult} to the parent and exits.
 *
 * Argument: how many distinct tokens (default 100,000).
 */
import { stytchAuth, type AuthEnv } from 'ayz-auth'
import { createAuthContext, testVerifier } from 'ayz-auth/testing'
import { Hono } from 'hono'
import type { HeapCheckpoint, HeapResult } from './api.ts'

const total = Number(process.argv[2] ?? '100000')
const CHECKPOINTS = [10_000, 25_000, 50_000, 75_000, 100_000, total].filter(
  (n, i, all) => n <= total && all.indexOf(n) === i
)
/** Requests in flight at once (in-process, through `app.request`). */
const BATCH = 100

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

/** A token shaped like Stytch's (44 base64url characters), distinct for each `i`. */
const tokenOf = (i: number): string => `heap-${i.toString(36).padStart(8, '0')}`.padEnd(44, 'x')

/** A session like one Stytch returns (the response minus tokens), with its own ids. */
function sessionOf(token: string) {
  const suffix = token.slice(5, 13)
  const memberId = `member-test-00000000-0000-4000-8000-0000${suffix}`
  const sessionId = `member-session-test-00000000-0000-4000-8000-0000${suffix}`
  const organizationId = 'organization-test-00000000-0000-4000-8000-000000000789'
  const now = new Date()
  const factor = {
    type: 'magic_link',
    delivery_method: 'email',
    last_authenticated_at: now.toISOString(),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    email_factor: { email_id: `email-test-${suffix}`, email_address: `user-${suffix}@example.com` },
  }
  return createAuthContext({
    memberId,
    sessionId,
    organizationId,
    memberEmail: `user-${suffix}@example.com`,
    memberName: `User ${suffix}`,
    authenticationFactors: ['magic_link'],
    rawSession: {
      status_code: 200,
      request_id: `request-id-test-${suffix}`,
      member_session: {
        member_session_id: sessionId,
        member_id: memberId,
        organization_id: organizationId,
        organization_slug: 'acme',
        started_at: now.toISOString(),
        last_accessed_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
        authentication_factors: [factor],
        roles: ['stytch_member'],
        custom_claims: {},
      },
      member: {
        member_id: memberId,
        organization_id: organizationId,
        email_address: `user-${suffix}@example.com`,
        name: `User ${suffix}`,
        status: 'active',
        roles: [
          { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
        ],
        trusted_metadata: {},
        untrusted_metadata: {},
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      },
      organization: {
        organization_id: organizationId,
        organization_name: 'Acme',
        organization_slug: 'acme',
      },
    },
  })
}

const app = new Hono<AuthEnv>()
app.use(
  '*',
  stytchAuth({
    verifier: testVerifier(sessionOf),
    entitlements: null,
    cache: 'memory',
    maxVerificationsPerSecond: 1e9,
    logLevel: 'ERROR',
  })
)
app.get('/', (c) => c.text(c.var.auth.memberId))

let failures = 0
const authenticate = async (i: number): Promise<void> => {
  const res = await app.request('/', { headers: { authorization: `Bearer ${tokenOf(i)}` } })
  if (res.status !== 200) failures++
  await res.text()
}

const heapUsed = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const started = performance.now()
// Build the runtime and JIT the path with tokens outside the measured range, then the base line.
for (let i = 0; i < 200; i++) await authenticate(total + i)
const checkpoints: HeapCheckpoint[] = [{ tokens: 0, heapUsedBytes: heapUsed() }]
let done = 0
for (const checkpoint of CHECKPOINTS) {
  while (done < checkpoint) {
    const batch = Math.min(BATCH, checkpoint - done)
    await Promise.all(Array.from({ length: batch }, (_, k) => authenticate(done + k)))
    done += batch
  }
  checkpoints.push({ tokens: checkpoint, heapUsedBytes: heapUsed() })
}
const result: HeapResult = { checkpoints, failures, elapsedMs: performance.now() - started }
process.send?.({ result }, () => process.exit(0))
