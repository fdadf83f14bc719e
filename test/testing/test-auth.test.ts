import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  requireClaims,
  requireEntitlement,
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import { createAuthContext, testVerifier } from '../../src/testing/index.ts'

/** A user's app, built by a factory so tests can hand it a test verifier. */
function createApp(auth: StytchAuthOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', stytchAuth(auth))
  app.get('/me', (c) => c.json({ email: c.var.auth.memberEmail }))
  app.get('/admin', requireClaims('admin'), (c) => c.text('admin'))
  app.get('/foresight', requireEntitlement('foresight'), (c) =>
    c.json({ tier: c.var.auth.subscriptionTier })
  )
  app.post('/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  return app
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('testing your own app with a fixed AuthContext, no network', () => {
  const user = createAuthContext({
    sessionCustomClaims: { admin: true },
    entitlements: ['foresight', 'byod'],
    subscriptionTier: 'premium',
  })
  const app = createApp({ verifier: testVerifier({ fake_token: user }), entitlements: null })

  it('authenticates a known fake token with the fixture context', async () => {
    expect(await (await app.request('/me', bearer('fake_token'))).json()).toEqual({
      email: 'test@example.com',
    })
    expect((await app.request('/admin', bearer('fake_token'))).status).toBe(200)
    expect(await (await app.request('/foresight', bearer('fake_token'))).json()).toEqual({
      tier: 'premium',
    })
  })

  it('rejects other tokens and missing entitlements as the real thing does', async () => {
    expect((await app.request('/me', bearer('other_token'))).status).toBe(401)
    const plain = createApp({
      verifier: testVerifier(createAuthContext({ entitlements: ['byod'] })),
      entitlements: null,
    })
    const res = await plain.request('/foresight', bearer('any'))
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({
      required_entitlement: 'foresight',
      upgrade_required: true,
    })
  })

  it('revokes through the verifier', async () => {
    const revocable = createApp({
      verifier: testVerifier({ logout_token: createAuthContext() }),
      entitlements: null,
    })
    expect(
      (await revocable.request('/logout', { method: 'POST', ...bearer('logout_token') })).status
    ).toBe(204)
    expect((await revocable.request('/me', bearer('logout_token'))).status).toBe(401)
  })

  it('an expired fixture session is rejected', async () => {
    const expired = createAuthContext({ sessionExpiresAt: new Date(Date.now() - 1000) })
    expect(
      (
        await createApp({ verifier: testVerifier(expired), entitlements: null }).request(
          '/me',
          bearer('t')
        )
      ).status
    ).toBe(401)
  })
})
