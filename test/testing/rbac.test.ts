import fc from 'fast-check'
import { decodeJwt, SignJWT } from 'jose'
import {
  ClientError,
  StytchError,
  type AuthorizationCheck,
  type B2BClient,
  type CustomRole,
  type Policy,
} from 'stytch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  defaultPolicy,
  startStytchEmulator,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { basic, freshClient } from './clients.ts'
import { failure } from './failure.ts'

const auditor: CustomRole = {
  role_id: 'auditor',
  description: 'Reads and exports documents.',
  permissions: [{ resource_id: 'documents', actions: ['read', 'export'] }],
}

describe('the RBAC policy endpoints', () => {
  let running: RunningStytchEmulator
  let client: B2BClient
  beforeAll(async () => {
    running = await startStytchEmulator()
    client = running.client()
  })
  afterAll(() => running.close())

  it('serve the default policy with Stytch default roles', async () => {
    const response = await client.rbac.policy()
    expect(response).toMatchObject({ status_code: 200, request_id: expect.any(String) })
    expect(response.policy).toEqual(defaultPolicy())
    const roles = response.policy?.roles.map((role) => role.role_id)
    expect(roles).toEqual(expect.arrayContaining(['stytch_member', 'stytch_admin']))
    expect(response.policy?.resources.map((resource) => resource.resource_id)).toContain(
      'documents'
    )
  })

  it('serve a changed policy at once', async () => {
    const policy: Policy = { ...defaultPolicy(), roles: [auditor] }
    running.emulator.setPolicy(policy)
    expect((await client.rbac.policy()).policy).toEqual(policy)
    policy.roles = [] // the emulator keeps its own copy
    expect((await client.rbac.policy()).policy?.roles).toEqual([auditor])
    running.emulator.setPolicy(defaultPolicy())
    expect((await client.rbac.policy()).policy).toEqual(defaultPolicy())
  })

  it("serve an organization's custom roles, changed at once, and in custom_roles", async () => {
    const seeded = await running.emulator.seed({ organization: { customRoles: [auditor] } })
    const organization_id = seeded.organization.organization_id
    expect(seeded.organization.custom_roles).toEqual([auditor])
    const response = await client.rbac.organizations.getOrgPolicy({ organization_id })
    expect(response).toMatchObject({ status_code: 200, org_policy: { roles: [auditor] } })

    const editor = { ...auditor, role_id: 'org_editor' }
    running.emulator.setOrganizationRoles(organization_id, [editor])
    expect(
      (await client.rbac.organizations.getOrgPolicy({ organization_id })).org_policy.roles
    ).toEqual([editor])
    const session = await client.sessions.authenticate({ session_token: seeded.sessionToken })
    expect(session.organization.custom_roles).toEqual([editor])

    const other = running.emulator.createOrganization({ name: 'Initech' })
    expect(
      (await client.rbac.organizations.getOrgPolicy({ organization_id: other.organization_id }))
        .org_policy
    ).toEqual({ roles: [] })
  })

  it('answer 404 organization_not_found for an unknown organization, 401 without credentials', async () => {
    const error = await failure(
      client.rbac.organizations.getOrgPolicy({ organization_id: 'organization-test-nope' }),
      StytchError
    )
    expect(error).toMatchObject({ status_code: 404, error_type: 'organization_not_found' })
    expect(() => running.emulator.setOrganizationRoles('organization-test-nope', [])).toThrow()
    const impostor = freshClient(running, 'secret-test-wrong')
    expect(await failure(impostor.rbac.policy(), StytchError)).toMatchObject({
      status_code: 401,
      error_type: 'unauthorized_credentials',
    })
  })
})

describe('authorization_check on sessions.authenticate', () => {
  let running: RunningStytchEmulator
  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterAll(() => running.close())

  const check = (organization_id: string, action: string, resource_id = 'documents') => ({
    organization_id,
    resource_id,
    action,
  })

  it('answers the verdict with the granting roles, project and organization roles alike', async () => {
    const seeded = await running.emulator.seed({
      organization: { customRoles: [auditor] },
      member: { roles: ['editor', 'auditor'] },
    })
    const orgId = seeded.organization.organization_id
    const client = running.client()
    const read = await client.sessions.authenticate({
      session_token: seeded.sessionToken,
      authorization_check: check(orgId, 'read'),
    })
    expect(read.verdict).toEqual({
      authorized: true,
      granting_roles: ['stytch_member', 'editor', 'auditor'],
    })
    expect(read.member_session.member_session_id).toBe(seeded.session.member_session_id)
    const exported = await client.sessions.authenticate({
      session_jwt: seeded.sessionJwt,
      authorization_check: check(orgId, 'export'),
    })
    expect(exported.verdict).toEqual({ authorized: true, granting_roles: ['auditor'] })
    const plain = await client.sessions.authenticate({ session_token: seeded.sessionToken })
    expect(plain).not.toHaveProperty('verdict')
  })

  it('refuses a missing permission and another organization with 403, untouched', async () => {
    let clock = Date.UTC(2026, 4, 1, 10)
    const timed = await startStytchEmulator({ now: () => clock })
    try {
      const seeded = await timed.emulator.seed()
      const other = timed.emulator.createOrganization({ name: 'Initech' })
      const orgId = seeded.organization.organization_id
      clock += 60_000
      for (const [authorization_check, errorType] of [
        [check(orgId, 'delete'), 'session_authorization_error'],
        [check(orgId, 'read', 'reports'), 'session_authorization_error'],
        [check(other.organization_id, 'read'), 'session_authorization_tenancy_error'],
      ] as const) {
        const error = await failure(
          timed.client().sessions.authenticate({
            session_token: seeded.sessionToken,
            authorization_check,
            session_duration_minutes: 600,
          }),
          StytchError
        )
        expect(error).toMatchObject({ status_code: 403, error_type: errorType })
      }
      const after = await timed.client().sessions.authenticate({
        session_token: seeded.sessionToken,
      })
      expect(after.member_session.expires_at).toBe(seeded.session.expires_at)
    } finally {
      await timed.close()
    }
  })

  it('refuses a malformed check with 400', async () => {
    const seeded = await running.emulator.seed()
    const response = await fetch(`${running.url}/v1/b2b/sessions/authenticate`, {
      method: 'POST',
      headers: { ...basic(running), 'content-type': 'application/json' },
      body: JSON.stringify({
        session_token: seeded.sessionToken,
        authorization_check: { organization_id: seeded.organization.organization_id },
      }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ status_code: 400, error_type: 'bad_request' })
  })

  it('agrees with the SDK’s local check on generated policies, roles and checks', async () => {
    const roleIds = ['stytch_member', 'stytch_admin', 'editor', 'viewer', 'auditor']
    const resources = ['documents', 'reports', 'stytch.member']
    const actions = ['read', 'write', 'delete', 'export', '*']
    const role = (ids: string[]) =>
      fc.record({
        role_id: fc.constantFrom(...ids),
        description: fc.constant(''),
        permissions: fc.array(
          fc.record({
            resource_id: fc.constantFrom(...resources),
            actions: fc.subarray(actions, { minLength: 1 }),
          }),
          { maxLength: 3 }
        ),
      })
    const cases = fc.record({
      projectRoles: fc.uniqueArray(role(roleIds), { selector: (r) => r.role_id, maxLength: 4 }),
      orgRoles: fc.array(role(roleIds), { maxLength: 3 }),
      memberRoles: fc.subarray(roleIds.slice(1)),
      resource: fc.constantFrom(...resources),
      action: fc.constantFrom(...actions),
      otherOrganization: fc.boolean(),
    })
    const signing = await running.emulator.signingKeys()
    /** The session JWT with its roles replaced, signed by the emulator's key. */
    const withRoles = (jwt: string, roles: string[]) => {
      const claims = decodeJwt(jwt)
      const session = claims['https://stytch.com/session'] as Record<string, unknown>
      claims['https://stytch.com/session'] = { ...session, roles }
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
        .sign(signing.privateKey)
    }
    const localOutcome = (client: B2BClient, session_jwt: string, check: AuthorizationCheck) =>
      client.sessions.authenticateJwtLocal({ session_jwt, authorization_check: check }).then(
        () => 'authorized',
        (error: unknown) => (error instanceof ClientError ? error.code : String(error))
      )
    const remoteNames: Record<string, string> = {
      session_authorization_error: 'invalid_permissions',
      session_authorization_tenancy_error: 'tenancy_mismatch',
    }
    const outcomes = new Map<string, number>()

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        running.emulator.setPolicy({
          ...defaultPolicy(),
          roles: c.projectRoles,
        })
        const seeded = await running.emulator.seed({
          organization: { customRoles: c.orgRoles },
          member: { roles: c.memberRoles },
        })
        const check = {
          organization_id: c.otherOrganization
            ? running.emulator.createOrganization({ name: 'Other' }).organization_id
            : seeded.organization.organization_id,
          resource_id: c.resource,
          action: c.action,
        }
        const client = freshClient(running) // an empty policy cache: it reads this case's policy
        const local = await localOutcome(client, seeded.sessionJwt, check)
        const remote = await client.sessions
          .authenticate({ session_token: seeded.sessionToken, authorization_check: check })
          .then(
            (response) => response.verdict,
            (error: unknown) =>
              error instanceof StytchError && error.status_code === 403
                ? (remoteNames[error.error_type] ?? error.error_type)
                : String(error)
          )
        outcomes.set(local, (outcomes.get(local) ?? 0) + 1)
        if (local !== 'authorized') {
          expect(remote).toBe(local)
          return
        }
        // Each session role grants alone exactly when the SDK says so.
        const sessionRoles = seeded.session.roles
        const granting: string[] = []
        for (const roleId of sessionRoles) {
          const alone = await withRoles(seeded.sessionJwt, [roleId])
          if ((await localOutcome(client, alone, check)) === 'authorized') granting.push(roleId)
        }
        expect(remote).toEqual({ authorized: true, granting_roles: granting })
      }),
      { numRuns: 300 }
    )
    running.emulator.setPolicy(defaultPolicy())
    // The generator reached every outcome, each often enough to mean something.
    for (const outcome of ['authorized', 'invalid_permissions', 'tenancy_mismatch']) {
      expect(outcomes.get(outcome)).toBeGreaterThan(20)
    }
  }, 120_000)
})
