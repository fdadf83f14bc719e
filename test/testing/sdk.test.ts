import { decodeJwt, generateKeyPair, SignJWT } from 'jose'
import { ClientError, StytchError, type B2BClient } from 'stytch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { freshClient } from './clients.ts'
import { failure } from './failure.ts'

describe('the real B2BClient against the served emulator', () => {
  let running: RunningStytchEmulator
  let client: B2BClient
  beforeAll(async () => {
    running = await startStytchEmulator()
    client = running.client()
  })
  afterAll(() => running.close())

  it('authenticates a session token with the full response shape', async () => {
    const seeded = await running.emulator.seed()
    const response = await client.sessions.authenticate({ session_token: seeded.sessionToken })
    expect(response).toMatchObject({
      status_code: 200,
      session_token: seeded.sessionToken,
      member_session: {
        member_session_id: seeded.session.member_session_id,
        member_id: seeded.member.member_id,
        organization_id: seeded.organization.organization_id,
        organization_slug: 'acme',
        roles: ['stytch_member'],
        custom_claims: {},
        authentication_factors: [
          {
            type: 'magic_link',
            delivery_method: 'email',
            email_factor: { email_address: 'ada@acme.example' },
          },
        ],
      },
      member: { email_address: 'ada@acme.example', name: 'Ada Example', status: 'active' },
      organization: { organization_name: 'Acme', organization_slug: 'acme' },
    })
    expect(response.request_id).toMatch(/^request-id-test-[0-9a-f-]{36}$/)
    expect(response.member_session.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(decodeJwt(response.session_jwt).sub).toBe(seeded.member.member_id)
  })

  it('authenticates a session JWT', async () => {
    const seeded = await running.emulator.seed()
    const response = await client.sessions.authenticate({ session_jwt: seeded.sessionJwt })
    expect(response.member_session.member_session_id).toBe(seeded.session.member_session_id)
    expect(response.session_token).toBe(seeded.sessionToken)
  })

  it('lets authenticateJwtLocal verify a minted JWT against the served JWKS', async () => {
    const seeded = await running.emulator.seed({
      customClaims: { plan: 'pro' },
      factors: ['sso', 'totp'],
    })
    const session = await client.sessions.authenticateJwtLocal({ session_jwt: seeded.sessionJwt })
    expect(session).toMatchObject({
      member_session_id: seeded.session.member_session_id,
      member_id: seeded.member.member_id,
      organization_id: seeded.organization.organization_id,
      organization_slug: seeded.organization.organization_slug,
      roles: ['stytch_member'],
      custom_claims: { plan: 'pro' },
      authentication_factors: [
        { type: 'sso', delivery_method: 'sso_saml' },
        { type: 'totp', delivery_method: 'authenticator_app' },
      ],
    })
    const claims = decodeJwt(seeded.sessionJwt)
    expect(claims).toMatchObject({
      aud: [running.projectId],
      iss: `stytch.com/${running.projectId}`,
      'https://stytch.com/organization': {
        organization_id: seeded.organization.organization_id,
        slug: seeded.organization.organization_slug,
      },
      'https://stytch.com/session': {
        id: seeded.session.member_session_id,
        attributes: { user_agent: '', ip_address: '' },
      },
    })
    expect(claims.nbf).toBe(claims.iat)
    expect(claims.exp).toBe(Number(claims.iat) + 300)
  })

  it('revokes by token, id, JWT and member', async () => {
    for (const by of ['session_token', 'member_session_id', 'session_jwt', 'member_id'] as const) {
      const seeded = await running.emulator.seed()
      const target = {
        session_token: seeded.sessionToken,
        member_session_id: seeded.session.member_session_id,
        session_jwt: seeded.sessionJwt,
        member_id: seeded.member.member_id,
      }[by]
      const response = await client.sessions.revoke({ [by]: target })
      expect(response).toMatchObject({
        status_code: 200,
        request_id: expect.stringMatching(/^request-id-test-/),
      })
      const error = await failure(
        client.sessions.authenticate({ session_token: seeded.sessionToken }),
        StytchError
      )
      expect(error).toMatchObject({ status_code: 404, error_type: 'session_not_found' })
    }
  })

  it('refuses an unknown session with 404 session_not_found', async () => {
    const error = await failure(
      client.sessions.authenticate({ session_token: 'x'.repeat(44) }),
      StytchError
    )
    expect(error).toMatchObject({
      status_code: 404,
      error_type: 'session_not_found',
      error_message: 'Session could not be found.',
      request_id: expect.stringMatching(/^request-id-test-/),
    })
  })

  it('refuses a wrong secret with 401 unauthorized_credentials', async () => {
    const seeded = await running.emulator.seed()
    const impostor = freshClient(running, 'secret-test-wrong')
    const error = await failure(
      impostor.sessions.authenticate({ session_token: seeded.sessionToken }),
      StytchError
    )
    expect(error).toMatchObject({ status_code: 401, error_type: 'unauthorized_credentials' })
    await failure(impostor.sessions.revoke({ session_token: seeded.sessionToken }), StytchError)
  })

  it('surfaces an injected 429 as too_many_requests', async () => {
    const seeded = await running.emulator.seed()
    running.emulator.injectFault({ kind: 'status', status: 429 }, { times: 1 })
    const error = await failure(
      client.sessions.authenticate({ session_token: seeded.sessionToken }),
      StytchError
    )
    expect(error).toMatchObject({ status_code: 429, error_type: 'too_many_requests' })
  })

  it('validates the arguments like Stytch', async () => {
    const seeded = await running.emulator.seed()
    const cases = [
      [
        client.sessions.authenticate({
          session_token: seeded.sessionToken,
          session_jwt: seeded.sessionJwt,
        }),
        'too_many_session_arguments',
      ],
      [client.sessions.authenticate({}), 'no_session_arguments'],
      [client.sessions.revoke({}), 'no_session_revoke_arguments'],
      [
        client.sessions.revoke({
          session_token: seeded.sessionToken,
          member_id: seeded.member.member_id,
        }),
        'too_many_session_revoke_arguments',
      ],
      [client.sessions.authenticate({ session_jwt: 'not-a-jwt' }), 'unable_to_parse_session_jwt'],
    ] as const
    for (const [request, errorType] of cases) {
      expect(await failure(request, StytchError)).toMatchObject({
        status_code: 400,
        error_type: errorType,
      })
    }
  })
})

describe('session JWTs', () => {
  let running: RunningStytchEmulator
  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterAll(() => running.close())

  it('accepts a signed JWT past its exp while the session lives, with a fresh JWT', async () => {
    const { session } = await running.emulator.seed()
    const stale = await running.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 3_600_000),
    })
    const local = await failure(
      freshClient(running).sessions.authenticateJwtLocal({ session_jwt: stale }),
      ClientError
    )
    expect(local.code).toBe('jwt_invalid')

    const response = await running.client().sessions.authenticate({ session_jwt: stale })
    expect(response.member_session.member_session_id).toBe(session.member_session_id)
    const fresh = decodeJwt(response.session_jwt)
    expect(fresh.exp).not.toBe(decodeJwt(stale).exp)
    expect(Number(fresh.exp)).toBeGreaterThan(Date.now() / 1000)
  })

  it('refuses the JWT of a revoked or expired session with session_not_found', async () => {
    const revoked = await running.emulator.seed()
    running.emulator.revokeSession(revoked.session.member_session_id)
    const expired = await running.emulator.seed()
    running.emulator.expireSession(expired.session.member_session_id)
    const bornExpired = await running.emulator.seed({ expiresAt: new Date(Date.now() - 1000) })
    for (const { sessionJwt, sessionToken } of [revoked, expired, bornExpired]) {
      for (const request of [{ session_jwt: sessionJwt }, { session_token: sessionToken }]) {
        const error = await failure(running.client().sessions.authenticate(request), StytchError)
        expect(error).toMatchObject({ status_code: 404, error_type: 'session_not_found' })
      }
    }
  })

  it('rejects a JWT signed by another key under the same kid', async () => {
    const { sessionJwt } = await running.emulator.seed()
    const { kid } = await running.emulator.signingKeys()
    const attacker = await generateKeyPair('RS256')
    const forged = await new SignJWT(decodeJwt(sessionJwt))
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(attacker.privateKey)

    const remote = await failure(
      running.client().sessions.authenticate({ session_jwt: forged }),
      StytchError
    )
    expect(remote).toMatchObject({ status_code: 401, error_type: 'unable_to_parse_session_jwt' })
    const local = await failure(
      freshClient(running).sessions.authenticateJwtLocal({ session_jwt: forged }),
      ClientError
    )
    expect(local.code).toBe('jwt_invalid')
  })

  it('rejects a JWT signed with an unknown kid', async () => {
    const { sessionJwt } = await running.emulator.seed()
    const { privateKey } = await running.emulator.signingKeys()
    const forged = await new SignJWT(decodeJwt(sessionJwt))
      .setProtectedHeader({ alg: 'RS256', kid: 'jwk-test-unknown', typ: 'JWT' })
      .sign(privateKey)
    const error = await failure(
      running.client().sessions.authenticate({ session_jwt: forged }),
      StytchError
    )
    expect(error).toMatchObject({ status_code: 401, error_type: 'unable_to_parse_session_jwt' })
  })

  it('rotates keys: both keys are served and verify until the old one is dropped', async () => {
    const jwks = async () =>
      (
        (await (
          await fetch(`${running.url}/v1/b2b/sessions/jwks/${running.projectId}`)
        ).json()) as { keys: Array<{ kid: string }> }
      ).keys
    const before = await running.emulator.seed()
    const [oldKey] = await jwks()
    await running.emulator.rotateKeys()
    const after = await running.emulator.seed()

    const keys = await jwks()
    expect(keys).toHaveLength(2)
    expect(keys.map((key) => key.kid)).toContain(oldKey?.kid)
    const client = freshClient(running)
    for (const { sessionJwt, session } of [before, after]) {
      const local = await client.sessions.authenticateJwtLocal({ session_jwt: sessionJwt })
      expect(local.member_session_id).toBe(session.member_session_id)
      await running.client().sessions.authenticate({ session_jwt: sessionJwt })
    }

    running.emulator.dropPreviousKey()
    expect(await jwks()).toHaveLength(1)
    const remote = await failure(
      running.client().sessions.authenticate({ session_jwt: before.sessionJwt }),
      StytchError
    )
    expect(remote).toMatchObject({ status_code: 401, error_type: 'unable_to_parse_session_jwt' })
    const local = await failure(
      freshClient(running).sessions.authenticateJwtLocal({ session_jwt: before.sessionJwt }),
      ClientError
    )
    expect(local.code).toBe('jwt_invalid')
    await freshClient(running).sessions.authenticateJwtLocal({ session_jwt: after.sessionJwt })
  })
})

describe('session_duration_minutes and session_custom_claims', () => {
  let running: RunningStytchEmulator
  let clock = Date.UTC(2026, 4, 1, 10)
  beforeAll(async () => {
    running = await startStytchEmulator({ now: () => clock })
  })
  afterAll(() => running.close())

  it('extends the session only when asked, and touches last_accessed_at', async () => {
    const { sessionToken } = await running.emulator.seed({ durationMinutes: 60 })
    clock += 10 * 60_000
    const untouched = await running.client().sessions.authenticate({ session_token: sessionToken })
    expect(untouched.member_session).toMatchObject({
      started_at: '2026-05-01T10:00:00Z',
      last_accessed_at: '2026-05-01T10:10:00Z',
      expires_at: '2026-05-01T11:00:00Z',
    })
    const extended = await running.client().sessions.authenticate({
      session_token: sessionToken,
      session_duration_minutes: 120,
    })
    expect(extended.member_session.expires_at).toBe('2026-05-01T12:10:00Z')
    expect(decodeJwt(extended.session_jwt)['https://stytch.com/session']).toMatchObject({
      expires_at: '2026-05-01T12:10:00Z',
      last_accessed_at: '2026-05-01T10:10:00Z',
    })
    expect(decodeJwt(extended.session_jwt).iat).toBe(clock / 1000)
  })

  it('ends a session when the clock passes its expiry', async () => {
    const { sessionToken, sessionJwt } = await running.emulator.seed({ durationMinutes: 5 })
    clock += 5 * 60_000
    for (const request of [{ session_token: sessionToken }, { session_jwt: sessionJwt }]) {
      const error = await failure(running.client().sessions.authenticate(request), StytchError)
      expect(error.error_type).toBe('session_not_found')
    }
  })

  it('refuses a duration outside 5–527040 minutes', async () => {
    const { sessionToken } = await running.emulator.seed()
    for (const minutes of [4, 527_041, 2.5]) {
      const request = running
        .client()
        .sessions.authenticate({ session_token: sessionToken, session_duration_minutes: minutes })
      expect(await failure(request, StytchError)).toMatchObject({
        status_code: 400,
        error_type: 'invalid_session_duration_minutes',
      })
    }
  })

  it('merges custom claims into the session and the next JWT; null deletes', async () => {
    const { sessionToken } = await running.emulator.seed({
      customClaims: { plan: 'free', beta: true },
    })
    const first = await running.client().sessions.authenticate({
      session_token: sessionToken,
      session_custom_claims: { plan: 'pro', team: { id: 7 } },
    })
    expect(first.member_session.custom_claims).toEqual({ plan: 'pro', beta: true, team: { id: 7 } })
    expect(decodeJwt(first.session_jwt)).toMatchObject({ plan: 'pro', beta: true, team: { id: 7 } })

    const second = await running.client().sessions.authenticate({
      session_token: sessionToken,
      session_custom_claims: {
        beta: null,
        iss: 'evil',
        sub: 'evil',
        'https://stytch.com/session': 'evil',
      },
    })
    expect(second.member_session.custom_claims).toEqual({ plan: 'pro', team: { id: 7 } })
    const claims = decodeJwt(second.session_jwt)
    expect(claims).not.toHaveProperty('beta')
    expect(claims.iss).toBe(`stytch.com/${running.projectId}`)
    expect(claims.sub).toBe(second.member.member_id)
    expect(claims['https://stytch.com/session']).toMatchObject({
      id: second.member_session.member_session_id,
    })
  })
})
