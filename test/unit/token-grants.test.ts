/**
 * `tokenGrants`, the one rule of `requirePermission` for principals that carry their grants in the
 * credential: Auth0 users (`permissions`, else `scope`, compared exactly), machines of Stytch and
 * Auth0 (`permissions`, or scopes with Stytch's rule: `action:*` covers every resource) and API
 * keys (scopes, with the same rule). Moved here from the Auth0 verifier's tests when its
 * `auth0Grants` was folded into `tokenGrants`.
 */
import { describe, expect, it } from 'vitest'
import { tokenGrants } from '../../src/authorization/token-grants.ts'
import { ApiKeyContext } from '../../src/context/api-key-context.ts'
import { MachineContext } from '../../src/context/token-contexts.ts'
import { UserContext, type UserFields } from '../../src/context/user-context.ts'

const user = (fields: Partial<UserFields>) =>
  new UserContext({
    userId: 'auth0|1',
    organizationId: null,
    organizationName: null,
    permissions: [],
    hasPermissionsClaim: false,
    scopes: [],
    clientId: null,
    expiresAt: new Date(),
    authenticatedAt: new Date(),
    ...fields,
  })
const machine = (permissions: string[], scopes: string[]) =>
  new MachineContext({
    clientId: 'm2m',
    permissions,
    scopes,
    customClaims: {},
    expiresAt: new Date(),
    authenticatedAt: new Date(),
  })

describe('tokenGrants on an Auth0 user', () => {
  it('decides a user with a permissions claim by permissions alone', () => {
    const withClaim = user({
      hasPermissionsClaim: true,
      permissions: ['read:documents'],
      scopes: ['write:documents'],
    })
    expect(tokenGrants(withClaim, 'documents', 'read')).toBe(true)
    expect(tokenGrants(withClaim, 'documents', 'write')).toBe(false)
    const emptyClaim = user({
      hasPermissionsClaim: true,
      permissions: [],
      scopes: ['read:documents'],
    })
    expect(tokenGrants(emptyClaim, 'documents', 'read')).toBe(false)
  })

  it('decides a user without a permissions claim by scope, exactly', () => {
    const scoped = user({ scopes: ['openid', 'read:documents', 'write:*'] })
    expect(tokenGrants(scoped, 'documents', 'read')).toBe(true)
    expect(tokenGrants(scoped, 'documents', 'delete')).toBe(false)
    expect(tokenGrants(scoped, 'documents', 'write')).toBe(false)
  })
})

describe('tokenGrants on a machine (Stytch or Auth0 M2M)', () => {
  it('decides by permissions or scope', () => {
    expect(tokenGrants(machine([], ['read:reports']), 'reports', 'read')).toBe(true)
    expect(tokenGrants(machine(['write:reports'], []), 'reports', 'write')).toBe(true)
    expect(tokenGrants(machine([], ['read:reports']), 'reports', 'write')).toBe(false)
  })

  it('reads a scope action:* as every resource of that action (Stytch’s rule), a permission exactly', () => {
    expect(tokenGrants(machine([], ['read:*']), 'reports', 'read')).toBe(true)
    expect(tokenGrants(machine([], ['read:*']), 'reports', 'write')).toBe(false)
    expect(tokenGrants(machine(['read:*'], []), 'reports', 'read')).toBe(false)
  })
})

describe('tokenGrants on an API key', () => {
  it('decides by scopes, with Stytch’s rule', () => {
    const key = new ApiKeyContext({
      keyId: 'k1',
      name: 'CI',
      organizationId: 'organization-test-1',
      createdBy: 'member-test-1',
      scopes: ['read:*', 'write:reports'],
      expiresAt: null,
      authenticatedAt: new Date(),
    })
    expect(tokenGrants(key, 'documents', 'read')).toBe(true)
    expect(tokenGrants(key, 'reports', 'write')).toBe(true)
    expect(tokenGrants(key, 'documents', 'write')).toBe(false)
  })
})
