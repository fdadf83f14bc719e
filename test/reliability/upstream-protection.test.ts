/**
 * Floods of bad tokens against the upstream: distinct invalid tokens cost Stytch at most the
 * documented rate (`burst + maxVerificationsPerSecond × seconds`), repeated ones nothing, tokens
 * rejected locally nothing at all, and none of it evicts a valid session from process memory or
 * keeps a real user out.
 */
import { serve, type ServerType } from '@hono/node-server'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryCache } from '../../src/index.ts'
import { assembleJwt, claimsOf } from './forge.ts'
import { HandlerLedger } from './ledger.ts'
import { bearer, captureLogger, recordingApp, uniquePrefix } from './recording-app.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, STYTCH_TIMEOUT_MS, type World } from './world.ts'

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(async () => {
  expect(ledger.violations()).toEqual([])
  await world?.close()
})

/** A token of the shape of a Stytch session token that Stytch never issued. */
function inventedToken(): string {
  return randomBytes(33).toString('base64url')
}

function appWith(label: string, extra: Parameters<typeof recordingApp>[0] = {}) {
  return recordingApp(
    { ...world.stytchOptions(), logger: captureLogger(), prefix: uniquePrefix(label), ...extra },
    ledger
  )
}

/**
 * Sends the tokens, `concurrency` at a time (all at once by default); the statuses, and how long
 * the flood took in seconds.
 */
async function flood(
  app: ReturnType<typeof appWith>,
  tokens: readonly string[],
  concurrency = tokens.length
): Promise<{ statuses: number[]; seconds: number }> {
  const started = performance.now()
  const statuses: number[] = []
  for (let from = 0; from < tokens.length; from += concurrency) {
    const batch = tokens.slice(from, from + concurrency)
    statuses.push(
      ...(await Promise.all(
        batch.map(async (token) => (await app.request('/api/me', bearer(token))).status)
      ))
    )
  }
  return { statuses, seconds: (performance.now() - started) / 1000 }
}

function countOf(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

describe('a flood of distinct invalid session tokens', () => {
  const RATE = 50
  const BURST = RATE * 2
  const FLOOD = 600
  const FLOOD_TIMEOUT_MS = 5000

  it(`costs Stytch at most burst + rate × seconds calls (${RATE}/s here, burst ${BURST}); the rest wait at most min(timeoutMs, 2 s), then 503`, async () => {
    // Every call that reaches Stytch gets 5 s to answer (over 3× what the whole flood takes on a
    // busy 2-core machine), so `401s = calls` holds however loaded the machine is.
    const app = appWith('flood', { maxVerificationsPerSecond: RATE, timeoutMs: FLOOD_TIMEOUT_MS })
    const tokens = Array.from({ length: FLOOD }, inventedToken)
    const before = world.stytch.emulator.calls.authenticate
    const { statuses, seconds } = await flood(app, tokens)
    const calls = world.stytch.emulator.calls.authenticate - before
    const ceiling = BURST + RATE * seconds
    console.info(
      `[upstream protection] ${FLOOD} distinct invalid tokens at once, in ${seconds.toFixed(2)} s: ${calls} Stytch calls (ceiling ${Math.floor(ceiling)}), statuses ${JSON.stringify(countOf(statuses))}`
    )
    expect(calls).toBeLessThanOrEqual(Math.floor(ceiling) + 1)
    expect(new Set(statuses)).toEqual(new Set([401, 503]))
    expect(statuses.filter((status) => status === 401).length).toBe(calls)
    expect(seconds).toBeLessThan(
      Math.min(FLOOD_TIMEOUT_MS, 2000) / 1000 + FLOOD_TIMEOUT_MS / 1000 + 0.5
    )

    // Within the 10 s negative cache, the tokens Stytch rejected cost nothing the second time.
    const rejected = tokens.filter((_, i) => statuses[i] === 401)
    const again = world.stytch.emulator.calls.authenticate
    const second = await flood(app, rejected)
    expect(second.statuses.every((status) => status === 401)).toBe(true)
    expect(world.stytch.emulator.calls.authenticate).toBe(again)
  })

  it('retries take slots too: with Stytch failing, a flood still costs at most burst + rate × seconds calls', async () => {
    const app = appWith('flood-retries', { maxVerificationsPerSecond: RATE, maxRetries: 3 })
    const rule = world.stytch.emulator.injectFault(
      { kind: 'status', status: 500 },
      { endpoint: 'authenticate' }
    )
    try {
      const before = world.stytch.emulator.calls.authenticate
      const { statuses, seconds } = await flood(app, Array.from({ length: 300 }, inventedToken))
      const calls = world.stytch.emulator.calls.authenticate - before
      expect(new Set(statuses)).toEqual(new Set([503]))
      expect(calls).toBeLessThanOrEqual(Math.floor(BURST + RATE * seconds) + 1)
    } finally {
      rule.remove()
    }
  })

  it('one invalid token sent 1000 times at once costs one Stytch call', async () => {
    const app = appWith('same-token')
    const token = inventedToken()
    const before = world.stytch.emulator.calls.authenticate
    const { statuses } = await flood(
      app,
      Array.from({ length: 1000 }, () => token)
    )
    expect(countOf(statuses)).toEqual({ 401: 1000 })
    expect(world.stytch.emulator.calls.authenticate - before).toBe(1)
  })

  it('does not evict a valid session from process memory, even when it is ten times larger than the cache', async () => {
    // The shared tier holds 100 entries, and the in-process tier keeps nothing past 1 ms: the
    // session must survive in the small store.
    const cache = memoryCache({ maxEntries: 100 })
    const app = appWith('no-eviction', { cache, l1Ttl: 0.001, maxVerificationsPerSecond: 100_000 })
    const { sessionToken } = await world.session(ledger)
    expect((await app.request('/api/me', bearer(sessionToken))).status).toBe(200)
    // 50 at a time: each of these is a real Stytch call, and the emulator shares this process.
    const { statuses } = await flood(app, Array.from({ length: 1000 }, inventedToken), 50)
    expect(countOf(statuses)).toEqual({ 401: 1000 })
    const before = world.stytch.emulator.calls.authenticate
    expect((await app.request('/api/me', bearer(sessionToken))).status).toBe(200)
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })
})

describe('tokens rejected without asking Stytch', () => {
  it('a flood of 1000 forged JWTs: every one a 401, no Stytch call, and a new user is served meanwhile', async () => {
    const app = appWith('forged-flood')
    const victim = await world.session(ledger)
    expect((await app.request('/api/me', bearer(victim.sessionJwt))).status).toBe(200)
    const [header] = victim.sessionJwt.split('.')
    const claims = claimsOf(victim.sessionJwt)
    const forged = Array.from({ length: 1000 }, () => {
      const payload = assembleJwt({}, { ...claims, jti: randomBytes(8).toString('hex') }).split(
        '.'
      )[1]
      return `${header}.${payload}.${randomBytes(256).toString('base64url')}`
    })
    const newcomer = await world.session(ledger)
    const before = world.stytch.emulator.calls.authenticate
    const started = performance.now()
    const [forgedResult, newcomerStatus] = await Promise.all([
      flood(app, forged),
      Promise.resolve(app.request('/api/me', bearer(newcomer.sessionToken))).then((res) => ({
        status: res.status,
        ms: performance.now() - started,
      })),
    ])
    expect(countOf(forgedResult.statuses)).toEqual({ 401: 1000 })
    expect(newcomerStatus.status).toBe(200)
    expect(newcomerStatus.ms).toBeLessThan(STYTCH_TIMEOUT_MS)
    expect(world.stytch.emulator.calls.authenticate - before).toBe(1)
  })

  it('a flood of 1000 malformed session tokens: every one a 401, no Stytch call', async () => {
    const app = appWith('malformed-flood')
    const before = world.stytch.emulator.calls.authenticate
    const { statuses } = await flood(
      app,
      Array.from({ length: 1000 }, () => randomBytes(6).toString('base64url'))
    )
    expect(countOf(statuses)).toEqual({ 401: 1000 })
    expect(world.stytch.emulator.calls.authenticate).toBe(before)
  })
})

describe('concurrent requests that share one verification', () => {
  /** Serves `app` on loopback for the duration of `use`. */
  async function served<T>(
    app: ReturnType<typeof appWith>,
    use: (url: string) => Promise<T>
  ): Promise<T> {
    const server = await new Promise<ServerType>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(listening)
      )
    })
    const address = server.address()
    try {
      return await use(
        `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
      )
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  }

  /** Sends `token` `times` times at once over HTTP; each answer's status, body and Retry-After. */
  async function together(url: string, token: string, times: number) {
    return Promise.all(
      Array.from({ length: times }, async () => {
        try {
          const res = await fetch(`${url}/api/me`, bearer(token))
          return {
            status: res.status,
            body: await res.text(),
            retryAfter: res.headers.get('retry-after'),
          }
        } catch (error) {
          return { status: 0, body: String(error), retryAfter: null }
        }
      })
    )
  }

  it('one invalid token sent 200 times at once: every answer is a complete 401', async () => {
    const answers = await served(appWith('shared-401'), (url) =>
      together(url, inventedToken(), 200)
    )
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'token_verification' })
    }
  })

  it('one token sent 200 times at once while Stytch fails: every answer is a complete 503 with Retry-After', async () => {
    const { sessionToken } = await world.session(ledger)
    const rule = world.stytch.emulator.injectFault(
      { kind: 'status', status: 500 },
      { endpoint: 'authenticate' }
    )
    try {
      const answers = await served(appWith('shared-503'), (url) => together(url, sessionToken, 200))
      for (const answer of answers) {
        expect(answer.status).toBe(503)
        expect(JSON.parse(answer.body)).toMatchObject({ type: 'stytch_api' })
        expect(answer.retryAfter).toBe('5')
      }
    } finally {
      rule.remove()
    }
  })

  it('in process too (app.request): every caller can read its own error body', async () => {
    const app = appWith('shared-in-process')
    const token = inventedToken()
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => app.request('/api/me', bearer(token)))
    )
    for (const res of responses)
      expect(await res.json()).toMatchObject({ type: 'token_verification' })
  })
})
