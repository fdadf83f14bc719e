/**
 * Issue 27, items 8, 9 and 11: guards that never pass on nothing, and a credential found where it
 * is. A claim check reads only the session's own claims (never what every object inherits), a
 * tenancy getter naming no organization (`null` as much as `undefined`) is a mismatch even for a
 * principal without a slug, and an `Authorization` header of another scheme than Bearer leaves the
 * session cookie to be used. Real Hono apps, the Stytch emulator through the real SDK.
 */
import { Hono, type Context } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  requireClaims,
  requireOrganization,
  stytchAuth,
  type AuthEnv,
  type OrganizationOf,
  type PrincipalEnv,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { claimsOf, signJwt } from '../reliability/forge.ts'
import { bearer, captureLogger } from './harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch?.close())

const settings = () => ({
  projectId: stytch.projectId,
  secret: stytch.secret,
  baseUrl: stytch.url,
  logger: captureLogger(),
})

/** What every object inherits from `Object.prototype`: no session holds these as claims. */
const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']

describe('requireClaims and requiredClaims (item 8)', () => {
  it('a session without claims never passes for a name every object inherits', async () => {
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(settings()))
    for (const name of INHERITED)
      app.get(`/guard/${name}`, requireClaims(name), (c) => c.text('in'))
    const option = new Hono<AuthEnv>()
    option.use('*', stytchAuth({ ...settings(), requiredClaims: ['constructor'] }))
    option.get('/', (c) => c.text('in'))
    app.route('/option', option)
    const { sessionToken, sessionJwt, session } = await stytch.emulator.seed()
    expect(session.custom_claims ?? {}).toEqual({})

    const answers: Record<string, number> = {}
    for (const token of [sessionToken, sessionJwt]) {
      const kind = token === sessionToken ? 'session token' : 'session JWT'
      for (const name of INHERITED)
        answers[`requireClaims('${name}'), ${kind}`] = (
          await app.request(`/guard/${name}`, bearer(token))
        ).status
      answers[`requiredClaims: ['constructor'], ${kind}`] = (
        await app.request('/option', bearer(token))
      ).status
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((what) => [what, 403])))
  })
})

describe('requireOrganization (item 9)', () => {
  it('a getter answering null is a mismatch, never a pass, for a principal whose organization has no slug', async () => {
    // Getters as users write them with the Web APIs, which answer `null` for "absent".
    const fromQuery = ((c: Context) =>
      new URL(c.req.url).searchParams.get('org')) as unknown as OrganizationOf
    const fromHeader = ((c: Context) =>
      c.req.raw.headers.get('x-organization-id')) as unknown as OrganizationOf
    const app = new Hono<PrincipalEnv>()
    app.use('*', stytchAuth({ ...settings(), acceptTokens: ['session', 'oauth'] }))
    app.get('/by-query', requireOrganization(fromQuery), (c) => c.text('in'))
    app.get('/by-header', requireOrganization(fromHeader), (c) => c.text('in'))

    // Stytch may leave the organization claim without a slug (a Connected Apps token, a session
    // JWT): tokens signed with the project's own key, as Stytch would sign them.
    const { sessionJwt, member, organization } = await stytch.emulator.seed()
    const key = await stytch.emulator.signingKeys()
    const withoutSlug = async (token: string) => {
      const claims = claimsOf(token)
      const org = claims['https://stytch.com/organization'] as Record<string, unknown>
      const { slug: _slug, ...rest } = org
      return signJwt(
        { ...claims, 'https://stytch.com/organization': rest },
        { alg: 'RS256', typ: 'JWT', kid: key.kid },
        key.privateKey
      )
    }
    const accessToken = await stytch.emulator.mintAccessToken({
      memberId: member.member_id,
      scopes: ['read:documents'],
    })
    const tokens = {
      'Connected Apps token without a slug': await withoutSlug(accessToken),
      'session JWT without a slug': await withoutSlug(sessionJwt),
    }

    const answers: Record<string, number> = {}
    for (const [what, token] of Object.entries(tokens)) {
      // The principal is accepted, and its own organization passes: the guard is wired right.
      answers[`${what}, its own organization`] = (
        await app.request(`/by-query?org=${organization.organization_id}`, bearer(token))
      ).status
      answers[`${what}, no ?org`] = (await app.request('/by-query', bearer(token))).status
      answers[`${what}, no x-organization-id`] = (
        await app.request('/by-header', bearer(token))
      ).status
    }
    expect(answers).toEqual(
      Object.fromEntries(
        Object.keys(answers).map((what) => [
          what,
          what.endsWith('its own organization') ? 200 : 403,
        ])
      )
    )
    const body = await (
      await app.request('/by-query', bearer(tokens['session JWT without a slug']))
    ).json()
    expect(body).toMatchObject({ error: 'tenancy_mismatch', type: 'authorization' })
  })
})

describe('the Authorization header of another scheme (item 11)', () => {
  it('Authorization: Basic beside a valid stytch_session cookie is the cookie session; a malformed Bearer stays a 401', async () => {
    const app = new Hono<AuthEnv>()
    app.use('*', stytchAuth(settings()))
    app.get('/me', (c) => c.text(c.var.auth.memberId))
    const { sessionToken, sessionJwt, member } = await stytch.emulator.seed()
    const basic = `Basic ${btoa('gateway:credentials')}`
    const asked = async (headers: Record<string, string>) => {
      const res = await app.request('/me', { headers })
      return [res.status, await res.text()]
    }
    const basicAndCookie = { authorization: basic, cookie: `stytch_session=${sessionToken}` }
    const digestAndJwt = {
      authorization: 'Digest username="gateway"',
      cookie: `stytch_session_jwt=${sessionJwt}`,
    }
    // A malformed Bearer is ours, and refused, whatever cookies come with it: before and after the
    // cookie's session is cached.
    const malformed = { authorization: 'Bearer', cookie: `stytch_session=${sessionToken}` }
    const answers = {
      'Bearer (no token) + stytch_session': (await asked(malformed))[0],
      // Twice each: the first request verifies, the second takes the cached path.
      'Basic + stytch_session': [await asked(basicAndCookie), await asked(basicAndCookie)],
      'Digest + stytch_session_jwt': [await asked(digestAndJwt), await asked(digestAndJwt)],
      'Bearer (no token) + stytch_session, once cached': (await asked(malformed))[0],
    }
    const member200 = [200, member.member_id]
    expect(answers).toEqual({
      'Bearer (no token) + stytch_session': 401,
      'Basic + stytch_session': [member200, member200],
      'Digest + stytch_session_jwt': [member200, member200],
      'Bearer (no token) + stytch_session, once cached': 401,
    })
  })
})
