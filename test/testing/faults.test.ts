import { B2BClient, RequestError, StytchError } from 'stytch'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  startStytchEmulator,
  stytchEmulator,
  type EmulatedSession,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { freshClient } from './clients.ts'
import { failure } from './failure.ts'

/** `fetchConfig` is protected in the SDK's types; the SDK spreads it into every `fetch` init. */
type WithFetchConfig = { fetchConfig: { signal?: AbortSignal } }

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = performance.now()
  await work().catch(() => undefined)
  return performance.now() - started
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('faults as the SDK sees them', () => {
  let running: RunningStytchEmulator
  let client: B2BClient
  let seeded: EmulatedSession
  const authenticate = () => client.sessions.authenticate({ session_token: seeded.sessionToken })

  beforeAll(async () => {
    running = await startStytchEmulator()
    client = running.client()
    seeded = await running.emulator.seed({ durationMinutes: 600 })
  })
  afterEach(() => running.emulator.clearFaults())
  afterAll(() => running.close())

  it('latency: delays, then answers normally; rules stack', async () => {
    running.emulator.injectFault({ kind: 'latency', ms: 150 })
    running.emulator.injectFault({ kind: 'latency', ms: 100 })
    const started = performance.now()
    const response = await authenticate()
    expect(performance.now() - started).toBeGreaterThanOrEqual(245)
    expect(response.status_code).toBe(200)
  })

  it('status: 429 with Retry-After, 500 and 503 as Stytch error bodies', async () => {
    running.emulator.injectFault({ kind: 'status', status: 429, retryAfter: 7 }, { times: 1 })
    const raw = await fetch(`${running.url}/v1/b2b/sessions/jwks/${running.projectId}`)
    expect(raw.status).toBe(429)
    expect(raw.headers.get('retry-after')).toBe('7')
    expect(Object.keys(await raw.json()).sort()).toEqual([
      'error_message',
      'error_type',
      'error_url',
      'request_id',
      'status_code',
    ])

    for (const [status, errorType] of [
      [429, 'too_many_requests'],
      [500, 'internal_server_error'],
      [503, 'server_unavailable'],
    ] as const) {
      running.emulator.injectFault({ kind: 'status', status }, { times: 1 })
      const error = await failure(authenticate(), StytchError)
      expect(error).toMatchObject({ status_code: status, error_type: errorType })
    }
    running.emulator.injectFault(
      { kind: 'status', status: 400, errorType: 'invalid_session_token' },
      { times: 1 }
    )
    expect(await failure(authenticate(), StytchError)).toMatchObject({
      status_code: 400,
      error_type: 'invalid_session_token',
    })
  })

  it('non-json, truncated-json: the SDK cannot parse the body', async () => {
    running.emulator.injectFault({ kind: 'non-json' }, { times: 1 })
    const raw = await fetch(`${running.url}/v1/b2b/sessions/jwks/${running.projectId}`)
    expect(raw.status).toBe(502)
    expect(raw.headers.get('content-type')).toContain('text/html')
    await raw.text()

    for (const fault of [{ kind: 'non-json', status: 503 }, { kind: 'truncated-json' }] as const) {
      running.emulator.injectFault(fault, { times: 1 })
      const error = await failure(authenticate(), RequestError)
      expect(error.message).toMatch(/^Unable to parse JSON response from server/)
    }
  })

  it('wrong-shape: the SDK hands the body through unvalidated', async () => {
    running.emulator.injectFault({ kind: 'wrong-shape' }, { endpoint: 'authenticate', times: 1 })
    const response = await authenticate()
    expect(response.member_session).toBeNull()
    expect(response.status_code).toBe(200)
  })

  it('hang: the request does not settle until the client aborts it', async () => {
    running.emulator.injectFault({ kind: 'hang' }, { times: 1 })
    const fetchConfig = (client as unknown as WithFetchConfig).fetchConfig
    fetchConfig.signal = AbortSignal.timeout(300)
    const request = authenticate()
    delete fetchConfig.signal
    const started = performance.now()
    const error = await failure(request, RequestError)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(error.message).toMatch(/abort/i)
    expect((await authenticate()).status_code).toBe(200)
  })

  it('hang: clearFaults() releases the hung request to its normal answer', async () => {
    running.emulator.injectFault({ kind: 'hang' })
    let settled = false
    const request = authenticate().finally(() => (settled = true))
    await sleep(200)
    expect(settled).toBe(false)
    running.emulator.clearFaults()
    expect((await request).status_code).toBe(200)
  })

  it('refused: pause() refuses connections, resume() serves the same state again', async () => {
    await running.pause()
    const error = await failure(authenticate(), RequestError)
    expect(error.message).toBe('fetch failed')
    await running.resume()
    expect((await authenticate()).member_session.member_session_id).toBe(
      seeded.session.member_session_id
    )
  })

  it('reset: the connection is destroyed without a response', async () => {
    running.emulator.injectFault({ kind: 'reset' }, { times: 1 })
    const error = await failure(authenticate(), RequestError)
    expect(error.message).toBe('fetch failed')
    expect((await authenticate()).status_code).toBe(200)
  })

  it('applies rules by endpoint and as many times as asked; a rule can be removed', async () => {
    running.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'revoke' })
    const twice = running.emulator.injectFault(
      { kind: 'status', status: 503 },
      { endpoint: 'authenticate', times: 2 }
    )
    expect(twice.id).toMatch(/^fault-test-/)
    await failure(authenticate(), StytchError)
    await failure(authenticate(), StytchError)
    expect((await authenticate()).status_code).toBe(200)
    await failure(
      client.sessions.revoke({ member_session_id: 'member-session-test-x' }),
      StytchError
    )

    const forever = running.emulator.injectFault({ kind: 'status', status: 502 })
    await failure(authenticate(), StytchError)
    forever.remove()
    expect((await authenticate()).status_code).toBe(200)
  })

  it('the first answering rule wins; latency before it still applies', async () => {
    running.emulator.injectFault({ kind: 'latency', ms: 100 }, { times: 1 })
    running.emulator.injectFault({ kind: 'status', status: 429 }, { times: 1 })
    running.emulator.injectFault({ kind: 'status', status: 500 }, { times: 1 })
    const started = performance.now()
    expect((await failure(authenticate(), StytchError)).status_code).toBe(429)
    expect(performance.now() - started).toBeGreaterThanOrEqual(95)
    expect((await failure(authenticate(), StytchError)).status_code).toBe(500)
  })
})

describe('latencyMs', () => {
  it('delays every API response but not the admin API', async () => {
    const running = await startStytchEmulator({ latencyMs: 200 })
    try {
      const { sessionToken } = await running.emulator.seed()
      expect(
        await timed(() => running.client().sessions.authenticate({ session_token: sessionToken }))
      ).toBeGreaterThanOrEqual(195)
      const headers = { authorization: `Basic ${btoa(`${running.projectId}:${running.secret}`)}` }
      expect(await timed(() => fetch(`${running.url}/_emulator/calls`, { headers }))).toBeLessThan(
        150
      )
    } finally {
      await running.close()
    }
  })
})

describe('in-process faults', () => {
  it('reset rejects like fetch does, and hang is released by releaseHungRequests()', async () => {
    const emulator = stytchEmulator()
    emulator.injectFault({ kind: 'reset' }, { times: 1 })
    await expect(emulator.request(`/v1/b2b/sessions/jwks/${emulator.projectId}`)).rejects.toThrow(
      TypeError
    )

    emulator.injectFault({ kind: 'hang' }, { times: 1 })
    const hung = emulator.request(`/v1/b2b/sessions/jwks/${emulator.projectId}`)
    await sleep(50)
    emulator.releaseHungRequests()
    expect((await hung).status).toBe(200)
  })
})

describe('faults on the RBAC, M2M and OAuth endpoints', () => {
  let running: RunningStytchEmulator
  beforeAll(async () => {
    running = await startStytchEmulator()
  })
  afterEach(() => running.emulator.clearFaults())
  afterAll(() => running.close())

  it('each endpoint takes its own faults, and every request is counted', async () => {
    const { member, organization } = await running.emulator.seed()
    const machine = running.emulator.createM2MClient({ scopes: ['read:reports'] })
    const token = await running.emulator.mintAccessToken({ memberId: member.member_id, scopes: [] })
    const headers = { authorization: `Basic ${btoa(`${running.projectId}:${running.secret}`)}` }
    const oauth2 = `${running.url}/v1/public/${running.projectId}/oauth2`
    const requests = {
      policy: () => fetch(`${running.url}/v1/b2b/rbac/policy`, { headers }),
      orgPolicy: () =>
        fetch(`${running.url}/v1/b2b/rbac/organizations/${organization.organization_id}`, {
          headers,
        }),
      token: () =>
        fetch(`${oauth2}/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: machine.clientId,
            client_secret: machine.clientSecret,
          }),
        }),
      introspect: () =>
        fetch(`${oauth2}/introspect`, {
          method: 'POST',
          body: new URLSearchParams({ token, client_id: 'connected-app-test-x' }),
        }),
      metadata: () => fetch(`${running.url}/.well-known/oauth-authorization-server`),
    }
    running.emulator.resetCalls()
    for (const target of Object.keys(requests) as Array<keyof typeof requests>) {
      running.emulator.injectFault(
        { kind: 'status', status: 503, retryAfter: 1 },
        { endpoint: target, times: 1 }
      )
      for (const [endpoint, request] of Object.entries(requests)) {
        const response = await request()
        expect([endpoint, response.status]).toEqual([endpoint, endpoint === target ? 503 : 200])
        const body = (await response.json()) as Record<string, unknown>
        if (endpoint === target) expect(body).toMatchObject({ error_type: 'server_unavailable' })
      }
    }
    expect(running.emulator.calls).toEqual({
      authenticate: 0,
      revoke: 0,
      jwks: 0,
      policy: 5,
      orgPolicy: 5,
      token: 5,
      introspect: 5,
      metadata: 5,
      total: 25,
    })
  })

  it('a failing policy endpoint fails the SDK’s local authorization check, until it heals', async () => {
    const { sessionJwt, organization } = await running.emulator.seed()
    running.emulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'policy' })
    const authorization_check = {
      organization_id: organization.organization_id,
      resource_id: 'documents',
      action: 'read',
    }
    const client = freshClient(running)
    const error = await failure(
      client.sessions.authenticateJwtLocal({ session_jwt: sessionJwt, authorization_check }),
      StytchError
    )
    expect(error.status_code).toBe(503)
    running.emulator.clearFaults()
    const local = await client.sessions.authenticateJwtLocal({
      session_jwt: sessionJwt,
      authorization_check,
    })
    expect(local.organization_id).toBe(organization.organization_id)
  })

  it('a token-endpoint fault reaches m2m.token as a Stytch error', async () => {
    const machine = running.emulator.createM2MClient({ scopes: ['read:reports'] })
    running.emulator.injectFault({ kind: 'status', status: 429 }, { endpoint: 'token', times: 1 })
    const request = { client_id: machine.clientId, client_secret: machine.clientSecret }
    const error = await failure(running.client().m2m.token(request), StytchError)
    expect(error).toMatchObject({ status_code: 429, error_type: 'too_many_requests' })
    expect((await running.client().m2m.token(request)).token_type).toBe('bearer')
  })
})
