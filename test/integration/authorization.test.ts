/**
 * Stytch RBAC, decided locally: `requirePermission`, `requireOrganization` and `hasPermission`
 * agree with the Stytch SDK's own local check and with the emulator's remote `authorization_check`
 * on generated policies; a member never reaches another organization's routes; and the policy is
 * fetched once, refreshed in the background, and served stale (never a 403) while Stytch is down.
 */
import fc from 'fast-check'
import { Hono } from 'hono'
import { B2BClient, ClientError, StytchError, type CustomRole, type Policy } from 'stytch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hasPermission,
  requireOrganization,
  requirePermission,
  stytchAuth,
  type AuthEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import {
  defaultPolicy,
  startStytchEmulator,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

let prefixes = 0
/** Options with a prefix of their own: a fresh policy cache. */
function options(extra: StytchAuthOptions = {}): StytchAuthOptions {
  return {
    projectId: stytch.projectId,
    secret: stytch.secret,
    baseUrl: stytch.url,
    prefix: `authz_${++prefixes}`,
    logger: captureLogger(),
    timeoutMs: 1000,
    maxRetries: 0,
    ...extra,
  }
}

/** A fresh SDK client: its policy cache is empty. */
function sdkClient(): B2BClient {
  return new B2BClient({
    project_id: stytch.projectId,
    secret: stytch.secret,
    env: `${stytch.url}/`,
  })
}

const RESOURCES = ['documents', 'reports', 'stytch.member']
const ACTIONS = ['read', 'write', 'delete', 'export', '*']
const ROLE_IDS = ['stytch_member', 'stytch_admin', 'editor', 'viewer', 'auditor']

type Verdict = 'allowed' | 'denied' | 'tenancy'

/** An app with one `requirePermission` route and one `hasPermission` route per resource and action. */
function oracleApp(extra: StytchAuthOptions) {
  const app = new Hono<AuthEnv>()
  app.use('*', stytchAuth(options(extra)))
  for (const resource of [...RESOURCES, 'unknown'])
    for (const action of [...ACTIONS, 'unknown']) {
      app.get(
        `/rp/${resource}/${action}/:org`,
        requirePermission(resource, action, { organizationId: (c) => c.req.param('org') }),
        (c) => c.text('ok')
      )
      app.get(`/hp/${resource}/${action}`, async (c) =>
        c.json(await hasPermission(c, resource, action))
      )
    }
  return app
}

async function ours(
  app: Hono<AuthEnv>,
  token: string,
  org: string,
  resource: string,
  action: string
): Promise<Verdict> {
  const res = await app.request(`/rp/${resource}/${action}/${org}`, bearer(token))
  if (res.status === 200) return 'allowed'
  const body = (await res.json()) as { error: string }
  if (res.status === 403 && body.error === 'tenancy_mismatch') return 'tenancy'
  if (res.status === 403 && body.error === 'insufficient_permissions') return 'denied'
  throw new Error(`unexpected ${res.status} ${JSON.stringify(body)}`)
}

describe('permission checks agree with the Stytch SDK and the remote authorization_check', () => {
  it('on 1,000 generated cases, for session tokens and session JWTs', async () => {
    const role = (ids: readonly string[]) =>
      fc.record({
        role_id: fc.constantFrom(...ids),
        description: fc.constant(''),
        permissions: fc.array(
          fc.record({
            resource_id: fc.constantFrom(...RESOURCES),
            actions: fc.subarray(ACTIONS, { minLength: 1 }),
          }),
          { maxLength: 3 }
        ),
      })
    const world = fc.record({
      projectRoles: fc.uniqueArray(role(ROLE_IDS), { selector: (r) => r.role_id, maxLength: 4 }),
      orgRoles: fc.tuple(
        fc.array(role(ROLE_IDS), { maxLength: 3 }),
        fc.array(role(ROLE_IDS), { maxLength: 3 })
      ),
      members: fc.array(fc.tuple(fc.nat(1), fc.subarray(ROLE_IDS.slice(1))), {
        minLength: 4,
        maxLength: 6,
      }),
      checks: fc.array(
        fc.record({
          member: fc.nat(),
          ownOrganization: fc.boolean(),
          bySlug: fc.boolean(),
          resource: fc.constantFrom(...RESOURCES, 'unknown'),
          action: fc.constantFrom(...ACTIONS, 'unknown'),
        }),
        { minLength: 50, maxLength: 50 }
      ),
    })
    const seen: Record<Verdict, number> = { allowed: 0, denied: 0, tenancy: 0 }
    let cases = 0
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        stytch.emulator.setPolicy({ ...defaultPolicy(), roles: w.projectRoles as Policy['roles'] })
        const orgs = w.orgRoles.map((customRoles, i) =>
          stytch.emulator.createOrganization({
            name: `Org ${cases}-${i}`,
            customRoles: customRoles as CustomRole[],
          })
        )
        const members = await Promise.all(
          w.members.map(async ([org, roles]) => {
            const organization = orgs[org]!
            const { member_id } = stytch.emulator.createMember({
              organizationId: organization.organization_id,
              roles,
            })
            return {
              ...(await stytch.emulator.createSession({ memberId: member_id })),
              home: organization,
            }
          })
        )
        const app = oracleApp({})
        const client = sdkClient()
        for (const check of w.checks) {
          cases++
          const member = members[check.member % members.length]!
          const target = check.ownOrganization ? member.home : orgs.find((o) => o !== member.home)!
          const named = check.bySlug ? target.organization_slug : target.organization_id
          const authorization_check = {
            organization_id: target.organization_id,
            resource_id: check.resource,
            action: check.action,
          }
          const sdk: Verdict = await client.sessions
            .authenticateJwtLocal({ session_jwt: member.sessionJwt, authorization_check })
            .then(
              () => 'allowed' as const,
              (error: unknown) => {
                if (!(error instanceof ClientError)) throw error
                return error.code === 'tenancy_mismatch' ? 'tenancy' : 'denied'
              }
            )
          const remote: Verdict = await client.sessions
            .authenticate({ session_token: member.sessionToken, authorization_check })
            .then(
              () => 'allowed' as const,
              (error: unknown) => {
                if (!(error instanceof StytchError) || error.status_code !== 403) throw error
                return error.error_type === 'session_authorization_tenancy_error'
                  ? 'tenancy'
                  : 'denied'
              }
            )
          expect(remote).toBe(sdk)
          expect(await ours(app, member.sessionToken, named, check.resource, check.action)).toBe(
            sdk
          )
          expect(await ours(app, member.sessionJwt, named, check.resource, check.action)).toBe(sdk)
          if (check.ownOrganization) {
            const res = await app.request(
              `/hp/${check.resource}/${check.action}`,
              bearer(member.sessionJwt)
            )
            expect(await res.json()).toBe(sdk === 'allowed')
          }
          seen[sdk]++
        }
      }),
      { numRuns: 20 }
    )
    stytch.emulator.setPolicy(defaultPolicy())
    expect(cases).toBeGreaterThanOrEqual(1000)
    for (const verdict of ['allowed', 'denied', 'tenancy'] as const)
      expect(seen[verdict]).toBeGreaterThan(50)
  }, 240_000)
})

describe('tenancy', () => {
  const auditor: CustomRole = {
    role_id: 'auditor',
    description: '',
    permissions: [{ resource_id: 'documents', actions: ['read', 'export'] }],
  }

  function tenantApp(extra: StytchAuthOptions) {
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(options(extra)))
    const org = (c: { req: { param(name: string): string | undefined } }) => c.req.param('org')
    app.get('/orgs/:org/settings', requireOrganization(org), (c) => c.text('ok'))
    app.get(
      '/orgs/:org/documents',
      requirePermission('documents', 'read', { organizationId: org }),
      (c) => c.text('ok')
    )
    app.get(
      '/orgs/:org/both',
      requireOrganization(org),
      requirePermission('documents', 'read'),
      (c) => c.text('ok')
    )
    app.get(
      '/orgs/:org/export',
      requireOrganization(org),
      requirePermission('documents', 'export', { organizationId: org }),
      (c) => c.text('ok')
    )
    return app
  }

  it.each([
    ['cold caches', {}],
    ['warm caches', {}],
    ['a shared tier', { shared: true }],
  ])(
    'a member of A gets 403 tenancy_mismatch on every route of B, by id or slug (%s)',
    async (name, how) => {
      const { memoryCache } = await import('../../src/index.ts')
      const a = await stytch.emulator.seed({
        organization: { name: `A ${name}`, slug: `a-${prefixes}` },
        member: { roles: ['stytch_admin'] },
      })
      const b = stytch.emulator.createOrganization({ name: `B ${name}`, slug: `b-${prefixes}` })
      const app = tenantApp('shared' in how ? { cache: memoryCache(), l1Ttl: 0.001 } : {})
      if (name === 'warm caches')
        for (const path of ['settings', 'documents', 'both', 'export'])
          expect(
            (
              await app.request(
                `/orgs/${a.organization.organization_id}/${path}`,
                bearer(a.sessionToken)
              )
            ).status
          ).toBe(200)
      for (const token of [a.sessionToken, a.sessionJwt])
        for (const foreign of [b.organization_id, b.organization_slug, 'organization-test-unknown'])
          for (const path of ['settings', 'documents', 'both', 'export']) {
            const res = await app.request(`/orgs/${foreign}/${path}`, bearer(token))
            expect(res.status).toBe(403)
            expect(await res.json()).toEqual({
              error: 'tenancy_mismatch',
              type: 'authorization',
              message: "This organization is not the session's organization",
            })
          }
      for (const own of [a.organization.organization_id, a.organization.organization_slug])
        expect((await app.request(`/orgs/${own}/export`, bearer(a.sessionJwt))).status).toBe(200)
    }
  )

  it('an organization whose slug is another organization id does not pass for it (403 tenancy_mismatch)', async () => {
    const victim = stytch.emulator.createOrganization({ name: 'Victim' })
    const app = tenantApp({})
    // Stytch's slug alphabet allows an id as a slug; in upper case too, for a case-blind lookup.
    for (const slug of [victim.organization_id, victim.organization_id.toUpperCase()]) {
      const attacker = await stytch.emulator.seed({
        organization: { name: 'Attacker', slug },
        member: { roles: ['stytch_admin'] },
      })
      for (const token of [attacker.sessionToken, attacker.sessionJwt]) {
        for (const path of ['settings', 'documents', 'both', 'export']) {
          const res = await app.request(`/orgs/${slug}/${path}`, bearer(token))
          expect(res.status).toBe(403)
          expect(await res.json()).toMatchObject({ error: 'tenancy_mismatch' })
        }
        expect(
          (
            await app.request(
              `/orgs/${attacker.organization.organization_id}/export`,
              bearer(token)
            )
          ).status
        ).toBe(200)
      }
    }
    const plain = await stytch.emulator.seed({
      organization: { name: 'Plain', slug: `plain-${prefixes}` },
      member: { roles: ['stytch_admin'] },
    })
    for (const own of [plain.organization.organization_id, plain.organization.organization_slug])
      expect((await app.request(`/orgs/${own}/export`, bearer(plain.sessionJwt))).status).toBe(200)
  })

  it('a custom role defined by one organization grants nothing in another that defines it differently', async () => {
    const reader = await stytch.emulator.seed({
      organization: { customRoles: [auditor] },
      member: { roles: ['auditor'] },
    })
    const narrow: CustomRole = {
      role_id: 'auditor',
      description: '',
      permissions: [{ resource_id: 'reports', actions: ['read'] }],
    }
    const other = await stytch.emulator.seed({
      organization: { name: 'Other', customRoles: [narrow] },
      member: { roles: ['auditor'] },
    })
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(options()))
    app.get('/export', requirePermission('documents', 'export'), (c) => c.text('ok'))
    expect((await app.request('/export', bearer(reader.sessionToken))).status).toBe(200)
    const res = await app.request('/export', bearer(other.sessionToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'insufficient_permissions',
      type: 'authorization',
      message: "Missing permission: 'export' on 'documents'",
      required_permission: { resource_id: 'documents', action: 'export' },
    })
  })

  it('a getter that names no organization (a misnamed parameter) is a mismatch, never a pass', async () => {
    const { sessionToken } = await stytch.emulator.seed({ member: { roles: ['stytch_admin'] } })
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(options()))
    const misnamed = (c: { req: { param(name: string): string | undefined } }) =>
      c.req.param('orgID')
    app.get('/orgs/:orgId/a', requireOrganization(misnamed), (c) => c.text('ok'))
    app.get(
      '/orgs/:orgId/b',
      requirePermission('documents', 'read', { organizationId: misnamed }),
      (c) => c.text('ok')
    )
    for (const path of ['/orgs/x/a', '/orgs/x/b']) {
      const res = await app.request(path, bearer(sessionToken))
      expect(await res.json()).toMatchObject({ error: 'tenancy_mismatch' })
    }
  })

  it('an anonymous request in optional mode reaching a permission guard is a 401', async () => {
    const app = new Hono()
    app.use('*', stytchAuth({ ...options(), optional: true }))
    app.get('/docs', requirePermission('documents', 'read'), (c) => c.text('ok'))
    const res = await app.request('/docs')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ type: 'token_extraction' })
  })
})

describe('the policy cache', () => {
  function docsApp(extra: StytchAuthOptions = {}) {
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(options(extra)))
    app.get('/read', requirePermission('documents', 'read'), (c) => c.text('ok'))
    app.get('/delete', requirePermission('documents', 'delete'), (c) => c.text('ok'))
    return app
  }
  const calls = () => stytch.emulator.calls.policy + stytch.emulator.calls.orgPolicy

  it('is fetched once however many requests race for it', async () => {
    const app = docsApp()
    const { sessionToken } = await stytch.emulator.seed()
    await app.request('/read', bearer(sessionToken)) // the session, cached
    const before = { policy: stytch.emulator.calls.policy, org: stytch.emulator.calls.orgPolicy }
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        Promise.resolve(app.request(i % 2 ? '/read' : '/delete', bearer(sessionToken))).then(
          (r) => r.status
        )
      )
    )
    expect(new Set(statuses)).toEqual(new Set([200, 403]))
    expect(stytch.emulator.calls.policy - before.policy).toBe(0) // loaded by the first request
    expect(stytch.emulator.calls.orgPolicy - before.org).toBe(0)
  })

  it('a first load shared by 200 racing requests costs one call per policy', async () => {
    const app = docsApp()
    const seeded = await Promise.all(Array.from({ length: 4 }, () => stytch.emulator.seed()))
    for (const { sessionJwt } of seeded) await app.request('/nothing', bearer(sessionJwt))
    const before = calls()
    stytch.emulator.injectFault({ kind: 'latency', ms: 100 }, { endpoint: 'policy', times: 1 })
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        Promise.resolve(app.request('/read', bearer(seeded[0]!.sessionJwt))).then((r) => r.status)
      )
    )
    expect(statuses).toEqual(Array(200).fill(200))
    expect(calls() - before).toBe(2) // the project policy and the organization's roles
  })

  it('shows a policy change within the TTL plus one refresh, fetching about once per TTL', async () => {
    const TTL = 0.5
    const app = docsApp({ policyTtl: TTL })
    const { sessionToken } = await stytch.emulator.seed()
    expect((await app.request('/delete', bearer(sessionToken))).status).toBe(403)
    const before = stytch.emulator.calls.policy
    const changedAt = performance.now()
    stytch.emulator.setPolicy({
      ...defaultPolicy(),
      roles: [
        {
          role_id: 'stytch_member',
          description: '',
          permissions: [{ resource_id: 'documents', actions: ['*'] }],
        },
      ],
    })
    try {
      let status = 403
      while (status === 403 && performance.now() - changedAt < TTL * 1000 * 3 + 2000) {
        status = (await app.request('/delete', bearer(sessionToken))).status
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const seenAfter = performance.now() - changedAt
      expect(status).toBe(200)
      // The change shows once the cached copy is refreshed: within TTL plus one refresh (a 3× margin).
      expect(seenAfter).toBeLessThan(TTL * 1000 * 3)
      // Over the same window, requests every 20 ms fetched the policy about once per TTL.
      expect(stytch.emulator.calls.policy - before).toBeLessThanOrEqual(
        Math.ceil(seenAfter / (TTL * 900)) + 1
      )
    } finally {
      stytch.emulator.setPolicy(defaultPolicy())
    }
  })

  it('with Stytch down, a cached policy keeps answering 200/403 (one WARN once stale); with none cached, 503', async () => {
    const logger = captureLogger()
    const app = docsApp({ policyTtl: 0.2, logger })
    const { sessionToken } = await stytch.emulator.seed()
    const fresh = docsApp()
    const other = await stytch.emulator.seed()
    await fresh.request('/nothing', bearer(other.sessionToken)) // a session cached, no policy
    expect((await app.request('/read', bearer(sessionToken))).status).toBe(200)
    const rules = [
      stytch.emulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'policy' }),
      stytch.emulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'orgPolicy' }),
    ]
    try {
      for (let i = 0; i < 10; i++) {
        expect((await app.request('/read', bearer(sessionToken))).status).toBe(200)
        expect((await app.request('/delete', bearer(sessionToken))).status).toBe(403)
        await new Promise((resolve) => setTimeout(resolve, 60))
      }
      expect(
        logger.lines.filter((line) => line.includes('serving a stale RBAC policy'))
      ).toHaveLength(1)
      const res = await fresh.request('/read', bearer(other.sessionToken))
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ type: 'stytch_api' })
      expect(res.headers.get('retry-after')).toBeTruthy()
    } finally {
      rules.forEach((rule) => rule.remove())
    }
  })
})
