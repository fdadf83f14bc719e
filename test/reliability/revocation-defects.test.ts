/**
 * Issue 27, the items one process shows: a revocation that holds under a flood of made-up logouts
 * (1), a logout route that spends Stytch's quota only on what can be a Stytch token, within the
 * limit (2), Stytch's 401 about a token read as the token's problem, not ours (5), a JWT checked
 * with Stytch cached no longer than it lives (10), and one Stytch call and one Stytch rate per
 * process however many differently configured mounts (12). Real Hono apps, the Stytch emulator
 * over a socket through the real `stytch` SDK; nothing of the library is stubbed.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  revokeSession,
  stytchAuth,
  type AuthEnv,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'

failOnUnhandledRejections()
let stytch: RunningStytchEmulator
const projects: RunningStytchEmulator[] = []
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(async () => {
  await Promise.all([stytch, ...projects].map((running) => running?.close()))
})
afterEach(() => {
  vi.useRealTimers()
  stytch.emulator.clearFaults()
})

/**
 * A Stytch project of its own, for a test that sets `maxVerificationsPerSecond`: what one project
 * spends of its Stytch quota in this process is never another test's.
 */
async function ownProject(): Promise<RunningStytchEmulator> {
  const running = await startStytchEmulator({ projectId: `project-test-${randomUUID()}` })
  projects.push(running)
  return running
}

let apps = 0
/** The emulator's project with a prefix of its own (so its own tiers) and a logger that keeps its lines. */
function settings(extra: Omit<StytchAuthOptions, 'logger'> = {}, project = stytch) {
  return {
    projectId: project.projectId,
    secret: project.secret,
    baseUrl: project.url,
    prefix: `defects_${process.pid}_${++apps}`,
    ...extra,
    logger: captureLogger(),
  }
}

/**
 * An app as users write it: `/api/*` behind `stytchAuth()`, with `/api/logout` calling
 * `revokeSession(c)`, and a public `/logout` (anyone may log out, whatever they carry) calling
 * `revokeSession(c, options)`.
 */
function appWith(options: ReturnType<typeof settings>) {
  const app = new Hono()
  const api = new Hono<AuthEnv>()
  api.use('*', stytchAuth(options))
  api.get('/me', (c) => c.text(c.var.auth.memberId))
  api.post('/logout', async (c) => {
    await revokeSession(c)
    return c.body(null, 204)
  })
  app.route('/api', api)
  app.post('/logout', async (c) => {
    await revokeSession(c, options)
    return c.body(null, 204)
  })
  return app
}

const post = { method: 'POST' }
const inventedToken = () => randomBytes(33).toString('base64url')

/** Distinct made-up tokens, cheaply: a run id and a counter, never two alike. */
const run = randomBytes(6).toString('hex')
let madeUp = 0
const signature = randomBytes(64).toString('base64url')
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT of Stytch's shape (`header`, claims with an `exp` an hour away) that no key ever signed. */
function madeUpJwt(header: string): string {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    sub: `member-test-${run}-${++madeUp}`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    'https://stytch.com/session': { id: `member-session-test-${run}-${madeUp}` },
  }
  return `${header}.${base64url(claims)}.${signature}`
}

/** A token of a Stytch session token's shape (44 base64url characters) that Stytch never issued. */
const madeUpSessionToken = () => `madeUp${run}${String(++madeUp).padStart(26, '0')}`

/** The statuses of `count` requests made by `send`, `concurrency` at a time. */
async function inBatches(
  count: number,
  concurrency: number,
  send: (index: number) => Response | Promise<Response>
): Promise<number[]> {
  const statuses: number[] = []
  for (let from = 0; from < count; from += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - from) }, (_, i) => from + i)
    statuses.push(...(await Promise.all(batch.map(async (i) => (await send(i)).status))))
  }
  return statuses
}

describe('revocation under a flood of logouts (item 1)', () => {
  /** The revocation map holds 10,000 marks; the flood is ten times that. */
  const FLOOD = 10 * 10_000
  const BATCH = 500
  /**
   * The victim is looked at every 4,000 logouts: a look refreshes its mark in a least-recently-used
   * map, and 4,000 logouts leave more than 10,000 marks today (three each).
   */
  const LOOK_EVERY = 4_000

  it('a flood of made-up logouts never revives a revoked session JWT', async () => {
    const options = settings()
    const app = appWith(options)
    const victim = await stytch.emulator.seed()
    expect((await app.request('/api/me', bearer(victim.sessionJwt))).status).toBe(200)
    expect(
      (await app.request('/api/logout', { ...post, ...bearer(victim.sessionJwt) })).status
    ).toBe(204)
    expect((await app.request('/api/me', bearer(victim.sessionJwt))).status).toBe(401)

    // Each made-up logout carries a made-up Bearer JWT and both Stytch cookies: an invented
    // session token, and a JWT whose own, unverified `exp` is an hour away. The made-up JWTs have a
    // header no JSON decodes (one in 50 Bearer JWTs names the project's real key instead).
    const { kid } = await stytch.emulator.signingKeys()
    const garbled = randomBytes(24).toString('base64url')
    const realKid = base64url({ alg: 'RS256', kid, typ: 'JWT' })
    const logout = (i: number) =>
      app.request('/logout', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${madeUpJwt(i % 50 ? garbled : realKid)}`,
          cookie: `stytch_session=${madeUpSessionToken()}; stytch_session_jwt=${madeUpJwt(garbled)}`,
        },
      })
    const before = stytch.emulator.calls
    const statuses: Record<number, number> = {}
    const looks: { afterLogouts: number; status: number }[] = []
    for (let sent = 0; sent < FLOOD;) {
      const count = Math.min(LOOK_EVERY, FLOOD - sent)
      for (const status of await inBatches(count, BATCH, (i) => logout(sent + i)))
        statuses[status] = (statuses[status] ?? 0) + 1
      sent += count
      const status = (await app.request('/api/me', bearer(victim.sessionJwt))).status
      looks.push({ afterLogouts: sent, status })
      if (status !== 401) break
    }
    expect(looks.filter(({ status }) => status !== 401)).toEqual([])
    expect(looks.at(-1)?.afterLogouts).toBe(FLOOD)
    // Made-up JWTs never reach Stytch: the flood cost it nothing, and nothing failed.
    const after = stytch.emulator.calls
    expect({
      revoke: after.revoke - before.revoke,
      authenticate: after.authenticate - before.authenticate,
    }).toEqual({ revoke: 0, authenticate: 0 })
    expect(Object.keys(statuses).filter((status) => Number(status) >= 500)).toEqual([])
    const leaked = options.logger.lines.filter(
      (line) =>
        line.includes(garbled) || line.includes(`madeUp${run}`) || line.includes(victim.sessionJwt)
    )
    expect(leaked).toEqual([])
  }, 120_000)
})

describe('what a logout route sends Stytch (item 2)', () => {
  it('revokeSession sends Stytch nothing that cannot be a Stytch token, and its calls count against maxVerificationsPerSecond', async () => {
    const RATE = 5
    const BURST = 2 * RATE
    const own = await ownProject()
    const options = settings({ maxVerificationsPerSecond: RATE }, own)
    const app = appWith(options)
    const { sessionJwt } = await own.emulator.seed()
    const [header, payload] = sessionJwt.split('.')

    // Not a Stytch token at all: too short, a forged signature, a JWT nobody signed.
    const impossible = {
      'Bearer abc': { authorization: 'Bearer abc' },
      'a session JWT with a forged signature': {
        authorization: `Bearer ${header}.${payload}.${'A'.repeat(342)}`,
      },
      'a JWT no key signed': {
        authorization: `Bearer ${madeUpJwt(randomBytes(24).toString('base64url'))}`,
      },
      'stytch_session=abc': { cookie: 'stytch_session=abc' },
    }
    const before = own.emulator.calls.revoke
    const answers: Record<string, number> = {}
    for (const [what, headers] of Object.entries(impossible))
      answers[what] = (await app.request('/logout', { method: 'POST', headers })).status
    expect.soft({ revokeCalls: own.emulator.calls.revoke - before, answers }).toEqual({
      revokeCalls: 0,
      answers: Object.fromEntries(Object.keys(answers).map((what) => [what, expect.any(Number)])),
    })
    expect.soft(Object.values(answers).filter((status) => status >= 500)).toEqual([])

    // Tokens of a Stytch session token's shape may be real: they reach Stytch, within the limit.
    const LOGOUTS = 200
    const flooded = own.emulator.calls.revoke
    const started = performance.now()
    await inBatches(LOGOUTS, LOGOUTS, () =>
      app.request('/logout', { ...post, ...bearer(inventedToken()) })
    )
    const seconds = (performance.now() - started) / 1000
    const calls = own.emulator.calls.revoke - flooded
    expect({ LOGOUTS, seconds: Number(seconds.toFixed(2)), calls }).toEqual({
      LOGOUTS,
      seconds: Number(seconds.toFixed(2)),
      calls: expect.toSatisfy(
        (n: number) => n <= Math.floor(BURST + RATE * seconds) + 1,
        `at most ${BURST} + ${RATE} × seconds`
      ),
    })
  })
})

describe("Stytch's 401 about a token (item 5)", () => {
  /** A session JWT validly signed with the project's key, past its exp, and that key dropped since. */
  async function jwtOfADroppedKey(app: Hono) {
    const session = await stytch.emulator.seed()
    const stale = await stytch.emulator.mintSessionJwt(session.session.member_session_id, {
      issuedAt: new Date(Date.now() - 600_000),
    })
    // This process fetches the key set while the key is published, and keeps it cached.
    expect((await app.request('/api/me', bearer(session.sessionJwt))).status).toBe(200)
    await stytch.emulator.rotateKeys()
    stytch.emulator.dropPreviousKey()
    return { session, stale }
  }

  const misconfiguration = /check STYTCH_PROJECT_ID and STYTCH_SECRET/

  it('a session JWT Stytch cannot parse or no longer trusts is a 401 on every request, never our misconfiguration', async () => {
    const options = settings()
    const app = appWith(options)
    const { stale } = await jwtOfADroppedKey(app)
    const answers: [number, unknown][] = []
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/api/me', bearer(stale))
      answers.push([res.status, await res.json()])
    }
    const rejected = [401, expect.objectContaining({ type: 'token_verification' })]
    expect(answers).toEqual([rejected, rejected, rejected])
    const lines = options.logger.lines
    expect(lines.filter((line) => misconfiguration.test(line) || line.startsWith('error'))).toEqual(
      []
    )
    expect(lines.filter((line) => line.includes(stale))).toEqual([])
  })

  it('logging out a session JWT Stytch cannot parse, or an M2M token, is a logout (204, refused after), never a 503', async () => {
    const options = settings()
    const app = appWith(options)
    const m2m = new Hono<PrincipalEnv>()
    m2m.use('*', stytchAuth({ ...options, acceptTokens: ['session', 'm2m'] }))
    m2m.get('/me', (c) => c.text(c.var.auth.kind))
    m2m.post('/logout', async (c) => {
      await revokeSession(c)
      return c.body(null, 204)
    })
    app.route('/m2m', m2m)
    const { clientId } = stytch.emulator.createM2MClient({ scopes: ['read:reports'] })
    const machine = await stytch.emulator.mintM2MToken({ clientId })
    expect((await app.request('/m2m/me', bearer(machine))).status).toBe(200)
    const answers: Record<string, number> = {}
    answers['logout with an M2M token'] = (
      await app.request('/m2m/logout', { ...post, ...bearer(machine) })
    ).status
    answers['the M2M token after its logout'] = (
      await app.request('/m2m/me', bearer(machine))
    ).status
    const { stale } = await jwtOfADroppedKey(app)
    answers['logout with the stale JWT of a dropped key'] = (
      await app.request('/logout', { ...post, ...bearer(stale) })
    ).status
    expect(answers).toEqual({
      'logout with the stale JWT of a dropped key': 204,
      'logout with an M2M token': 204,
      'the M2M token after its logout': 401,
    })
    expect(options.logger.lines.filter((line) => misconfiguration.test(line))).toEqual([])
  })
})

describe('a session JWT checked with Stytch (item 10)', () => {
  it('is never served from cache past its exp: a session revoked at Stytch is refused a minute later, not after ttl', async () => {
    const app = appWith(settings({ ttl: 300 }))
    const { session } = await stytch.emulator.seed()
    const stale = await stytch.emulator.mintSessionJwt(session.member_session_id, {
      issuedAt: new Date(Date.now() - 600_000), // exp five minutes ago; the session lives
    })
    expect((await app.request('/api/me', bearer(stale))).status).toBe(200)
    expect(stytch.emulator.revokeSession(session.member_session_id)).toBe(true)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 })
    expect((await app.request('/api/me', bearer(stale))).status).toBe(401)
  })
})

describe('several mounts of one project in one process (item 12)', () => {
  it('one new token requested on three differently configured mounts at once costs one Stytch call', async () => {
    const base = settings()
    const app = new Hono()
    for (const ttl of [300, 200, 100]) {
      const mount = new Hono<AuthEnv>()
      mount.use('*', stytchAuth({ ...base, ttl }))
      mount.get('/me', (c) => c.text(c.var.auth.memberId))
      app.route(`/ttl-${ttl}`, mount)
    }
    const { sessionToken, member } = await stytch.emulator.seed()
    stytch.emulator.injectFault({ kind: 'latency', ms: 100 }, { endpoint: 'authenticate' })
    const before = stytch.emulator.calls.authenticate
    const answers = await Promise.all(
      [300, 200, 100].map(async (ttl) => {
        const res = await app.request(`/ttl-${ttl}/me`, bearer(sessionToken))
        return [res.status, await res.text()]
      })
    )
    expect(answers).toEqual(Array(3).fill([200, member.member_id]))
    expect(stytch.emulator.calls.authenticate - before).toBe(1)
  })

  it('the Stytch call limit is per process: two mounts flooded at once cost at most burst + rate × seconds calls', async () => {
    const RATE = 10
    const BURST = 2 * RATE
    const own = await ownProject()
    const base = settings({ maxVerificationsPerSecond: RATE }, own)
    const app = new Hono()
    for (const ttl of [300, 299]) {
      const mount = new Hono<AuthEnv>()
      mount.use('*', stytchAuth({ ...base, ttl }))
      mount.get('/me', (c) => c.text('in'))
      app.route(`/ttl-${ttl}`, mount)
    }
    const before = own.emulator.calls.authenticate
    const started = performance.now()
    const statuses = await inBatches(200, 200, (i) =>
      app.request(`/ttl-${i % 2 ? 300 : 299}/me`, bearer(inventedToken()))
    )
    const seconds = (performance.now() - started) / 1000
    const calls = own.emulator.calls.authenticate - before
    expect(new Set(statuses)).toEqual(new Set([401, 503]))
    expect({ seconds: Number(seconds.toFixed(2)), calls }).toEqual({
      seconds: Number(seconds.toFixed(2)),
      calls: expect.toSatisfy(
        (n: number) => n <= Math.floor(BURST + RATE * seconds) + 1,
        `at most ${BURST} + ${RATE} × seconds`
      ),
    })
  })
})
