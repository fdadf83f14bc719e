import { decodeJwt, decodeProtectedHeader } from 'jose'
import { ClientError, StytchError, type B2BClient } from 'stytch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startStytchEmulator,
  type M2MClientCredentials,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { freshClient } from './clients.ts'
import { failure } from './failure.ts'

describe('M2M clients and the client-credentials token endpoint', () => {
  let running: RunningStytchEmulator
  let client: B2BClient
  let machine: M2MClientCredentials
  const tokenUrl = () => `${running.url}/v1/public/${running.projectId}/oauth2/token`

  beforeAll(async () => {
    running = await startStytchEmulator()
    client = running.client()
    machine = running.emulator.createM2MClient({
      scopes: ['read:users', 'write:*', 'admin'],
      customClaims: { tier: 'gold', iss: 'evil', 'https://stytch.com/session': 'evil' },
    })
  })
  afterAll(() => running.close())

  it('issues a token that m2m.authenticateToken accepts, with Stytch’s claims', async () => {
    expect(machine).toEqual({
      clientId: expect.stringMatching(/^m2m-client-test-[0-9a-f-]{36}$/),
      clientSecret: expect.stringMatching(/^[\w-]{44}$/),
      scopes: ['read:users', 'write:*', 'admin'],
    })
    const response = await client.m2m.token({
      client_id: machine.clientId,
      client_secret: machine.clientSecret,
    })
    expect(response).toMatchObject({ token_type: 'bearer', expires_in: 3600 })
    const claims = decodeJwt(response.access_token)
    expect(claims).toEqual({
      sub: machine.clientId,
      scope: 'read:users write:* admin',
      aud: [running.projectId],
      iss: `stytch.com/${running.projectId}`,
      iat: expect.any(Number),
      nbf: claims.iat,
      exp: Number(claims.iat) + 3600,
      tier: 'gold',
    })
    expect(decodeProtectedHeader(response.access_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    const authenticated = await client.m2m.authenticateToken({
      access_token: response.access_token,
    })
    expect(authenticated).toEqual({
      client_id: machine.clientId,
      scopes: ['read:users', 'write:*', 'admin'],
      custom_claims: { tier: 'gold' },
    })
  })

  it('applies required_scopes with the SDK’s action:resource rule', async () => {
    const { access_token } = await client.m2m.token({
      client_id: machine.clientId,
      client_secret: machine.clientSecret,
    })
    for (const required of [['read:users'], ['write:reports', 'write:users'], ['admin']]) {
      const result = await client.m2m.authenticateToken({ access_token, required_scopes: required })
      expect(result.client_id).toBe(machine.clientId)
    }
    for (const required of [['read:reports'], ['read:users', 'delete:users'], ['admin:all']]) {
      const error = await failure(
        client.m2m.authenticateToken({ access_token, required_scopes: required }),
        ClientError
      )
      expect(error.code).toBe('missing_scopes')
    }
  })

  it('narrows the token to the requested scopes, a subset of the client’s', async () => {
    const { access_token } = await client.m2m.token({
      client_id: machine.clientId,
      client_secret: machine.clientSecret,
      scopes: ['read:users'],
    })
    expect((await client.m2m.authenticateToken({ access_token })).scopes).toEqual(['read:users'])
    const error = await failure(
      client.m2m.authenticateToken({ access_token, required_scopes: ['admin'] }),
      ClientError
    )
    expect(error.code).toBe('missing_scopes')
  })

  it('refuses a bad secret, an unknown client and a disallowed scope, in OAuth’s shape', async () => {
    const cases: Array<[Parameters<B2BClient['m2m']['token']>[0], number, string]> = [
      [{ client_id: machine.clientId, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ client_id: 'm2m-client-test-nope', client_secret: 'x' }, 401, 'invalid_client'],
      [{ ...toSdk(machine), scopes: ['read:users', 'delete:users'] }, 400, 'invalid_scope'],
      [{ ...toSdk(machine), scopes: ['write:users'] }, 400, 'invalid_scope'],
    ]
    for (const [request, status, errorType] of cases) {
      const error = await failure(client.m2m.token(request), StytchError)
      expect(error).toMatchObject({
        status_code: status,
        error_type: errorType,
        error_message: expect.any(String),
        request_id: expect.stringMatching(/^request-id-test-/),
      })
    }
  })

  it('answers raw requests: JSON or form bodies, Basic client auth, OAuth errors', async () => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(tokenUrl(), { method: 'POST', body, headers })
    const json = { 'content-type': 'application/json' }
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const grant = { grant_type: 'client_credentials' }

    const viaJson = await post(JSON.stringify({ ...grant, ...toSdk(machine) }), json)
    expect(viaJson.status).toBe(200)
    expect(viaJson.headers.get('cache-control')).toBe('no-store')
    expect(await viaJson.json()).toMatchObject({
      status_code: 200,
      request_id: expect.any(String),
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
    })
    const viaBasic = await post(new URLSearchParams({ ...grant, scope: 'admin' }).toString(), {
      ...form,
      authorization: `Basic ${btoa(`${machine.clientId}:${machine.clientSecret}`)}`,
    })
    const { access_token } = (await viaBasic.json()) as { access_token: string }
    expect(decodeJwt(access_token).scope).toBe('admin')

    for (const [body, status, error] of [
      [{ grant_type: 'authorization_code', ...toSdk(machine) }, 400, 'unsupported_grant_type'],
      [toSdk(machine), 400, 'invalid_request'],
      [grant, 400, 'invalid_request'],
    ] as const) {
      const response = await post(new URLSearchParams(body).toString(), form)
      expect(response.status).toBe(status)
      const payload = await response.json()
      expect(payload).toEqual({
        status_code: status,
        request_id: expect.any(String),
        error,
        error_description: expect.any(String),
        error_uri: expect.any(String),
      })
    }
    expect((await post('{', json)).status).toBe(400)
    const wrongProject = await fetch(`${running.url}/v1/public/project-test-other/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ ...grant, ...toSdk(machine) }),
      headers: form,
    })
    expect(wrongProject.status).toBe(404)
  })

  it('takes a chosen id and secret', async () => {
    const chosen = running.emulator.createM2MClient({
      clientId: 'm2m-client-test-reports',
      clientSecret: 'secret-reports',
      scopes: ['read:reports'],
    })
    const { access_token } = await client.m2m.token({
      client_id: 'm2m-client-test-reports',
      client_secret: 'secret-reports',
    })
    expect((await client.m2m.authenticateToken({ access_token })).client_id).toBe(chosen.clientId)
  })
})

describe('mintM2MToken, for attack tests', () => {
  let running: RunningStytchEmulator
  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterAll(() => running.close())

  it('mints what the token endpoint would, for a registered client', async () => {
    const machine = running.emulator.createM2MClient({
      scopes: ['read:users'],
      customClaims: { tier: 'gold' },
    })
    const token = await running.emulator.mintM2MToken({ clientId: machine.clientId })
    expect(await running.client().m2m.authenticateToken({ access_token: token })).toEqual({
      client_id: machine.clientId,
      scopes: ['read:users'],
      custom_claims: { tier: 'gold' },
    })
  })

  it('forges scopes, lifetimes, issuers and audiences the SDK then refuses or accepts', async () => {
    const client = freshClient(running)
    const escalated = await running.emulator.mintM2MToken({
      clientId: 'm2m-client-test-unregistered',
      scopes: ['admin:*'],
    })
    expect(
      await client.m2m.authenticateToken({ access_token: escalated, required_scopes: ['admin:x'] })
    ).toMatchObject({ client_id: 'm2m-client-test-unregistered', scopes: ['admin:*'] })

    const hourAgo = new Date(Date.now() - 3_600_000)
    const refused = [
      await running.emulator.mintM2MToken({ clientId: 'c', scopes: [], expiresInSeconds: -60 }),
      await running.emulator.mintM2MToken({ clientId: 'c', scopes: [], issuedAt: hourAgo }),
      await running.emulator.mintM2MToken({ clientId: 'c', scopes: [], issuer: 'stytch.com/x' }),
      await running.emulator.mintM2MToken({ clientId: 'c', scopes: [], audience: 'project-x' }),
    ]
    for (const access_token of refused) {
      const error = await failure(client.m2m.authenticateToken({ access_token }), ClientError)
      expect(error.code).toBe('jwt_invalid')
    }
    const old = await running.emulator.mintM2MToken({
      clientId: 'c',
      scopes: [],
      issuedAt: new Date(Date.now() - 120_000),
    })
    const stale = await failure(
      client.m2m.authenticateToken({ access_token: old, max_token_age_seconds: 60 }),
      ClientError
    )
    expect(stale.code).toBe('jwt_too_old')
  })
})

function toSdk({ clientId, clientSecret }: M2MClientCredentials) {
  return { client_id: clientId, client_secret: clientSecret }
}
