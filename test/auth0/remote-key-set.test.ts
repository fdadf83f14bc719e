/**
 * The key set behind the Auth0 verifier, against the emulator's JWKS and its faults: one fetch on
 * a cold start however many verifications race, keys kept through an outage, an unknown `kid`
 * refetched at most once per 5 s, timeouts. Only `Date` is faked, to step over the 5 s cooldown
 * and the 10-minute age without waiting; sockets and timers are real.
 */
import { base64url } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  auth0TokenVerifier,
  type Auth0TokenVerifier,
} from '../../src/auth0/auth0-token-verifier.ts'
import { RemoteKeySet } from '../../src/auth0/remote-key-set.ts'
import {
  startAuth0Emulator,
  type RunningAuth0Emulator,
} from '../../src/testing/auth0/start-auth0-emulator.ts'

let auth0: RunningAuth0Emulator
let token: string
beforeAll(async () => {
  auth0 = await startAuth0Emulator()
  token = await auth0.emulator.mintUserToken()
})
afterAll(() => auth0.close())
afterEach(() => {
  vi.useRealTimers()
  auth0.emulator.clearFaults()
})

/** A verifier with an empty key cache, and the emulator's counters at zero. */
function freshVerifier(timeoutMs = 2000): Auth0TokenVerifier {
  auth0.emulator.resetCalls()
  return auth0TokenVerifier({
    issuer: auth0.issuer,
    jwksUrl: auth0.jwksUrl,
    audience: auth0.audience,
    timeoutMs,
  })
}

/** Moves the (faked) clock on by `ms`. */
function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
}

/**
 * `count` tokens, each naming a `kid` of its own that the JWKS lacks. The key is looked up before
 * the signature is checked, so the signature need not be one.
 */
function tokensWithRandomKids(count: number): string[] {
  const claims = {
    iss: auth0.issuer,
    aud: auth0.audience,
    sub: 'auth0|x',
    exp: Math.floor(Date.now() / 1000) + 3600,
  }
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
  return Array.from(
    { length: count },
    () =>
      `${encode({ alg: 'RS256', typ: 'JWT', kid: crypto.randomUUID() })}.${encode(claims)}.${'A'.repeat(342)}`
  )
}

describe('a cold start', () => {
  it('fetches the JWKS once for 200 concurrent verifications', async () => {
    const verifier = freshVerifier()
    auth0.emulator.injectFault({ kind: 'latency', ms: 100 }, { endpoint: 'jwks', times: 1 })
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => verifier.verify(token)))
    expect(outcomes.every((outcome) => outcome.status === 'valid')).toBe(true)
    expect(auth0.emulator.calls.jwks).toBe(1)
    expect(auth0.emulator.calls.total).toBe(1)
  })

  it('answers unavailable while no key was ever fetched, and retries after 5 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verifier = freshVerifier()
    auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)))
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'unavailable', cause: expect.any(Error) })
    }
    expect(auth0.emulator.calls.jwks).toBe(1)
    // Within the cooldown: answered at once, without asking again.
    advance(4_000)
    expect((await verifier.verify(token)).status).toBe('unavailable')
    expect(auth0.emulator.calls.jwks).toBe(1)
    advance(1_100)
    expect((await verifier.verify(token)).status).toBe('unavailable')
    expect(auth0.emulator.calls.jwks).toBe(2)
    auth0.emulator.clearFaults()
    advance(5_100)
    expect((await verifier.verify(token)).status).toBe('valid')
    expect(auth0.emulator.calls.jwks).toBe(3)
  })

  it('gives up on a JWKS slower than the timeout', async () => {
    const verifier = freshVerifier(200)
    auth0.emulator.injectFault({ kind: 'latency', ms: 5_000 }, { endpoint: 'jwks' })
    const started = performance.now()
    const outcome = await verifier.verify(token)
    expect(outcome).toMatchObject({ status: 'unavailable', cause: { name: 'TimeoutError' } })
    expect(performance.now() - started).toBeLessThan(600)
  })

  it('answers unavailable for a response that is not a key set', async () => {
    const keys = new RemoteKeySet({
      url: auth0.url + '/.well-known/openid-configuration',
      timeoutMs: 2000,
    })
    const failure = await keys
      .keyFor({ alg: 'RS256', kid: 'k' }, { payload: '', signature: '' })
      .catch((error: unknown) => error)
    expect(RemoteKeySet.isUnavailable(failure)).toBe(true)
    expect((failure as Error).cause).toMatchObject({ code: 'ERR_JWKS_INVALID' })
  })
})

describe('with keys cached', () => {
  it('keeps verifying while the JWKS answers 500, past the cooldown and the maximum age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verifier = freshVerifier()
    expect((await verifier.verify(token)).status).toBe('valid')
    auth0.emulator.injectFault({ kind: 'status', status: 500 }, { endpoint: 'jwks' })
    const [unknown] = tokensWithRandomKids(1)
    advance(6_000)
    expect((await verifier.verify(unknown!)).status).toBe('invalid')
    expect(auth0.emulator.calls.jwks).toBe(2)
    expect((await verifier.verify(token)).status).toBe('valid')
    advance(11 * 60_000)
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)))
    expect(outcomes.every((outcome) => outcome.status === 'valid')).toBe(true)
    expect(auth0.emulator.calls.jwks).toBe(3)
    // Still stale, still failing: tried again 5 s later, still answered from memory.
    advance(5_100)
    expect((await verifier.verify(token)).status).toBe('valid')
    expect(auth0.emulator.calls.jwks).toBe(4)
    auth0.emulator.clearFaults()
    advance(5_100)
    expect((await verifier.verify(token)).status).toBe('valid')
    expect(auth0.emulator.calls.jwks).toBe(5)
    // Fresh again: no fetch for the next 10 minutes.
    advance(9 * 60_000)
    expect((await verifier.verify(token)).status).toBe('valid')
    expect(auth0.emulator.calls.jwks).toBe(5)
  })

  it('refetches for unknown kids at most once per 5 s, under 200 concurrent verifications', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verifier = freshVerifier()
    expect((await verifier.verify(token)).status).toBe('valid')
    const burst = () => Promise.all(tokensWithRandomKids(200).map((t) => verifier.verify(t)))

    // Just fetched: the cooldown answers every unknown kid from memory.
    for (const outcome of await burst()) expect(outcome).toMatchObject({ status: 'invalid' })
    expect(auth0.emulator.calls.jwks).toBe(1)

    advance(5_100)
    auth0.emulator.injectFault({ kind: 'latency', ms: 100 }, { endpoint: 'jwks', times: 1 })
    for (const outcome of await burst()) expect(outcome).toMatchObject({ status: 'invalid' })
    expect(auth0.emulator.calls.jwks).toBe(2)

    advance(4_000)
    await burst()
    expect(auth0.emulator.calls.jwks).toBe(2)
    advance(1_100)
    await burst()
    expect(auth0.emulator.calls.jwks).toBe(3)
    expect(auth0.emulator.calls.total).toBe(3)
  })

  it('picks up a rotated key once the cooldown allows a refetch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verifier = freshVerifier()
    expect((await verifier.verify(token)).status).toBe('valid')
    await auth0.emulator.rotateKeys()
    // The new next key was not in the set this verifier fetched.
    const byNewKey = await auth0.emulator.mintUserToken({ key: 'next' })
    expect((await verifier.verify(byNewKey)).status).toBe('invalid')
    advance(5_100)
    expect((await verifier.verify(byNewKey)).status).toBe('valid')
    expect((await verifier.verify(token)).status).toBe('valid')
    expect(auth0.emulator.calls.jwks).toBe(2)
  })
})
