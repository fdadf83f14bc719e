/**
 * Type test: without `ayz-auth/global`, importing `ayz-auth` augments nothing: `c.var.auth` is
 * typed through `Hono<AuthEnv>` (and `OptionalAuthEnv`), and is not there in an app without them.
 * Checked by `tsc -p` on this folder alone (test/runtimes/packaging.test.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono'
import {
  auth0Auth,
  createApiKey,
  listApiKeys,
  requireClaims,
  requireFactors,
  requireOrganization,
  requirePermission,
  requireScopes,
  stytchAuth,
  type ApiKeyContext,
  type ApiKeyRecord,
  type Auth0Env,
  type AuthContext,
  type AuthEnv,
  type MachineContext,
  type OAuthContext,
  type OptionalAuthEnv,
  type Principal,
  type PrincipalEnv,
  type UserContext,
} from 'ayz-auth'
import { expectTypeOf } from 'vitest'

const api = new Hono<AuthEnv>()
api.use('*', stytchAuth())
api.get('/me', (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext>()
  return c.text(c.var.auth.memberId)
})

const shop = new Hono<OptionalAuthEnv>()
shop.use('*', stytchAuth({ optional: true }))
shop.get('/', (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext | null>()
  return c.text(c.var.auth?.memberId ?? 'guest')
})

const untyped = new Hono()
untyped.use('*', stytchAuth())
untyped.get('/me', (c) => {
  // @ts-expect-error no global augmentation: an app without AuthEnv has no typed `auth` variable
  return c.text(c.var.auth.memberId)
})

// Routes that accept access tokens: `c.var.auth` is a union, narrowed on `kind`.
const wide = new Hono<PrincipalEnv>()
wide.use('*', stytchAuth({ acceptTokens: ['session', 'm2m', 'oauth'] }))
wide.get('/whoami', (c) => {
  const auth = c.var.auth
  expectTypeOf(auth).toEqualTypeOf<Principal>()
  if (auth.kind === 'machine') {
    expectTypeOf(auth).toEqualTypeOf<MachineContext>()
    return c.text(auth.clientId)
  }
  if (auth.kind === 'oauth') {
    expectTypeOf(auth.scopes).toEqualTypeOf<readonly string[]>()
    return c.text(`${auth.memberId} via ${auth.clientId ?? 'an app'}`)
  }
  // PrincipalEnv holds every kind: an organization's API key, an Auth0 user, a member.
  if (auth.kind === 'api_key') {
    expectTypeOf(auth).toEqualTypeOf<ApiKeyContext>()
    return c.text(auth.keyId)
  }
  if (auth.kind === 'user') {
    expectTypeOf(auth).toEqualTypeOf<UserContext>()
    return c.text(auth.userId)
  }
  expectTypeOf(auth).toEqualTypeOf<AuthContext>()
  return c.text(auth.memberId)
})
wide.get('/reports', requireScopes('read:reports'), (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<
    MachineContext | OAuthContext | ApiKeyContext | UserContext
  >()
  return c.text(c.var.auth.scopes.join(' '))
})
wide.get('/mfa', requireFactors('mfa'), (c) => {
  expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext>()
  return c.text(c.var.auth.memberId)
})

// The middleware's own type follows acceptTokens.
expectTypeOf(stytchAuth({ acceptTokens: ['m2m'] })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: MachineContext } }>
>()

// Organization API keys: the middleware's type says what `acceptTokens` lets through, and an app of
// PrincipalEnv narrows to the key's context with its fields (never the key).
expectTypeOf(stytchAuth({ acceptTokens: ['api_key'] })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: ApiKeyContext } }>
>()
expectTypeOf(stytchAuth({ acceptTokens: ['session', 'api_key'] })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: AuthContext | ApiKeyContext } }>
>()
expectTypeOf(stytchAuth({ acceptTokens: ['api_key'], optional: true })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: ApiKeyContext | null } }>
>()
const keyed = new Hono<PrincipalEnv>()
keyed.use('/api/*', stytchAuth({ acceptTokens: ['session', 'api_key'] }))
keyed.get('/api/whoami', (c) => {
  const auth = c.var.auth
  if (auth.kind !== 'api_key') return c.text(auth.kind)
  expectTypeOf(auth).toEqualTypeOf<ApiKeyContext>()
  expectTypeOf(auth.keyId).toEqualTypeOf<string>()
  expectTypeOf(auth.name).toEqualTypeOf<string>()
  expectTypeOf(auth.organizationId).toEqualTypeOf<string>()
  expectTypeOf(auth.createdBy).toEqualTypeOf<string>()
  expectTypeOf(auth.scopes).toEqualTypeOf<readonly string[]>()
  expectTypeOf(auth.expiresAt).toEqualTypeOf<Date | null>()
  expectTypeOf(auth.authenticatedAt).toEqualTypeOf<Date>()
  expectTypeOf(auth.entitlements).toEqualTypeOf<readonly string[] | null>()
  expectTypeOf(auth.subscriptionTier).toEqualTypeOf<string | null>()
  expectTypeOf(auth).not.toHaveProperty('key')
  expectTypeOf(auth).not.toHaveProperty('memberId')
  return c.text(auth.keyId)
})
keyed.post('/api/keys', async (c) => {
  const created = await createApiKey(c, { name: 'CI', scopes: ['read:reports'], expiresIn: 86_400 })
  expectTypeOf(created).toEqualTypeOf<{ key: string; record: ApiKeyRecord }>()
  expectTypeOf(created.record).not.toHaveProperty('keyHash')
  expectTypeOf(await listApiKeys(c)).toEqualTypeOf<ApiKeyRecord[]>()
  return c.json(created, 201)
})
// A route of keys alone: the guards of scopes and organization keep the key's context.
const keysOnly = new Hono<{ Variables: { auth: ApiKeyContext } }>()
keysOnly.use('*', stytchAuth({ acceptTokens: ['api_key'] }))
keysOnly.get(
  '/orgs/:org/reports',
  requireOrganization((c) => c.req.param('org')),
  requireScopes('read:reports'),
  (c) => {
    expectTypeOf(c.var.auth).toEqualTypeOf<ApiKeyContext>()
    return c.text(c.var.auth.keyId)
  }
)

// An existing member app, with the guards of every kind, still sees an AuthContext.
const members = new Hono<AuthEnv>()
members.use('*', stytchAuth())
members.get(
  '/docs/:org',
  requireOrganization((c) => c.req.param('org')),
  requirePermission('documents', 'read'),
  requireClaims('admin'),
  (c) => {
    expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext>()
    return c.text(c.var.auth.memberId)
  }
)

// auth0Auth(): a user or a machine, narrowed on `kind`; its own type follows acceptTokens.
const auth0 = new Hono<Auth0Env>()
auth0.use('*', auth0Auth())
auth0.get('/me', requirePermission('documents', 'read'), (c) => {
  const auth = c.var.auth
  if (auth.kind === 'user') {
    expectTypeOf(auth).toEqualTypeOf<UserContext>()
    return c.text(`${auth.userId} of ${auth.organizationId ?? 'no organization'}`)
  }
  expectTypeOf(auth).toEqualTypeOf<MachineContext>()
  return c.text(auth.clientId)
})
expectTypeOf(auth0Auth({ acceptTokens: ['m2m'] })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: MachineContext } }>
>()
expectTypeOf(auth0Auth({ optional: true })).toEqualTypeOf<
  MiddlewareHandler<{ Variables: { auth: UserContext | MachineContext | null } }>
>()
