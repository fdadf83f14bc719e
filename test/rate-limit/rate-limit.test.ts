/**
 * `rateLimit()` as a user meets it, in process: the headers and the 429 of DESIGN, who a budget
 * belongs to (`by`), plans (`planLimit`), `cost`, `skipSuccessful`, `onError`, and options that
 * fail at startup. Principals are real: sessions and M2M tokens of the Stytch emulator, over HTTP.
 */
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  ConfigurationError,
  createApiKey,
  DEFAULT_SCHEMA,
  planLimit,
  rateLimit,
  RateLimitedError,
  stytchAuth,
  type EntitlementSource,
  type RateLimitOptions,
  type StytchAuthOptions,
} from '../../src/index.ts'
import {
  memoryApiKeys,
  startStytchEmulator,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'

let stytch: RunningStytchEmulator
beforeAll(async () => {
  stytch = await startStytchEmulator()
})
afterAll(() => stytch.close())

let names = 0
/** A policy name of its own, so no two tests share a budget in this process. */
const fresh = () => `t${++names}`
/** An address no other test uses, as a proxy in front of the app reports it. */
const fromIp = (ip = anotherIp(), init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), 'x-forwarded-for': ip },
})
/** A client address no other request of this file has sent (tests share the in-process limits). */
let clients = 0
const anotherIp = () => `198.51.${++clients >> 8}.${clients & 255}`

function stytchOptions(extra: StytchAuthOptions = {}): StytchAuthOptions {
  return {
    projectId: stytch.projectId,
    secret: stytch.secret,
    baseUrl: stytch.url,
    prefix: `rl_${randomUUID().slice(0, 8)}`,
    logger: captureLogger(),
    ...extra,
  }
}

/** An app whose `GET /` is behind `before` (if any) and `rateLimit(options)`. */
function limitedApp(options: RateLimitOptions, ...before: MiddlewareHandler[]) {
  const app = new Hono()
  for (const middleware of before) app.use('/', middleware)
  app.get('/', rateLimit({ trustedProxies: 1, ...options }), (c) => c.text('ok'))
  return app
}

const statuses = (responses: Response[]) => responses.map((response) => response.status)
const fields = (response: Response) => ({
  policy: response.headers.get('ratelimit-policy'),
  limit: response.headers.get('ratelimit'),
  retryAfter: response.headers.get('retry-after'),
})

describe('the headers and the 429 of DESIGN', () => {
  it('every answer carries RateLimit-Policy and RateLimit; the 429 has Retry-After and the body', async () => {
    const app = limitedApp({ limit: 3, window: 60 }) // a unit every 20 s
    const ip = anotherIp()
    const responses: Response[] = []
    for (let i = 0; i < 4; i++) responses.push(await app.request('/', fromIp(ip)))
    expect(statuses(responses)).toEqual([200, 200, 200, 429])
    expect(responses.map(fields)).toEqual([
      { policy: '"default";q=3;w=60', limit: '"default";r=2;t=20', retryAfter: null },
      // r > 0: t is until the quota is full; r = 0: until the next unit.
      { policy: '"default";q=3;w=60', limit: '"default";r=1;t=40', retryAfter: null },
      { policy: '"default";q=3;w=60', limit: '"default";r=0;t=20', retryAfter: null },
      { policy: '"default";q=3;w=60', limit: '"default";r=0;t=20', retryAfter: '20' },
    ])
    const refused = responses[3] as Response
    expect(refused.headers.get('content-type')).toBe('application/json')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(await refused.text()).toBe(
      '{"error":"rate_limited","type":"rate_limit","message":"Too many requests: 3 per 60 s","retry_after":20}'
    )
  })

  it("two limiters on one route: each answer lists both policies, the 429 the refusing one's Retry-After", async () => {
    const [burst, hourly] = [fresh(), fresh()]
    const app = new Hono()
    app.get(
      '/',
      rateLimit({ name: hourly, limit: 100, window: '1h', by: () => 'one' }),
      rateLimit({ name: burst, limit: 2, window: 60, by: () => 'one' }),
      (c) => c.text('ok')
    )
    // A handler's own Response (not built by `c`) gets the fields after it.
    app.get(
      '/raw',
      rateLimit({ name: `${hourly}r`, limit: 100, window: '1h', by: () => 'two' }),
      rateLimit({ name: `${burst}r`, limit: 2, window: 60, by: () => 'two' }),
      () => new Response('ok')
    )
    // The order of a list's items says nothing: each answer's items, sorted.
    const items = (response: Response) => ({
      policy: response.headers.get('ratelimit-policy')?.split(', ').sort(),
      limit: response.headers.get('ratelimit')?.split(', ').sort(),
      retryAfter: response.headers.get('retry-after'),
    })
    for (const [path, h, b] of [
      ['/', hourly, burst],
      ['/raw', `${hourly}r`, `${burst}r`],
    ] as const) {
      const responses: Response[] = []
      for (let i = 0; i < 3; i++) responses.push(await app.request(path))
      expect(statuses(responses)).toEqual([200, 200, 429])
      const policy = [`"${b}";q=2;w=60`, `"${h}";q=100;w=3600`].sort()
      expect(responses.map(items)).toEqual([
        { policy, limit: [`"${b}";r=1;t=30`, `"${h}";r=99;t=36`].sort(), retryAfter: null },
        { policy, limit: [`"${b}";r=0;t=30`, `"${h}";r=98;t=72`].sort(), retryAfter: null },
        { policy, limit: [`"${b}";r=0;t=30`, `"${h}";r=97;t=108`].sort(), retryAfter: '30' },
      ])
    }
  })

  it('names the policy, counts windows in units, and never sends a Retry-After below 1 s or t', async () => {
    const app = limitedApp({ limit: 2, window: '1m', name: 'login' })
    const ip = anotherIp()
    await app.request('/', fromIp(ip))
    await app.request('/', fromIp(ip))
    const refused = await app.request('/', fromIp(ip))
    expect(fields(refused)).toEqual({
      policy: '"login";q=2;w=60',
      limit: '"login";r=0;t=30',
      retryAfter: '30',
    })
    expect(await refused.json()).toMatchObject({ retry_after: 30 })
    // 10 per second: a unit every 100 ms, yet Retry-After is whole seconds, at least 1.
    const fast = limitedApp({ limit: 10, window: 1 })
    const quick = anotherIp()
    const burst = await Promise.all(
      Array.from({ length: 11 }, () => fast.request('/', fromIp(quick)))
    )
    const tooFast = burst.find((response) => response.status === 429)
    expect(fields(tooFast as Response)).toMatchObject({
      limit: '"default";r=0;t=1',
      retryAfter: '1',
    })
  })

  it('a request sent Retry-After seconds after a 429 is admitted', async () => {
    const app = limitedApp({ limit: 2, window: 2 }) // a unit a second
    const ip = anotherIp()
    expect(
      statuses([await app.request('/', fromIp(ip)), await app.request('/', fromIp(ip))])
    ).toEqual([200, 200])
    const refused = await app.request('/', fromIp(ip))
    expect(refused.status).toBe(429)
    const wait = Number(refused.headers.get('retry-after'))
    expect(wait).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, wait * 1000))
    expect((await app.request('/', fromIp(ip))).status).toBe(200)
  })
})

describe('onError reshapes the 429', () => {
  it("the limiter's own onError; the rate-limit fields stay on what it answers", async () => {
    const app = limitedApp({
      limit: 1,
      window: 60,
      onError: (error, c) => c.json({ sorry: error.body.message }, error.status),
    })
    const ip = anotherIp()
    await app.request('/', fromIp(ip))
    const refused = await app.request('/', fromIp(ip))
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({ sorry: 'Too many requests: 1 per 60 s' })
    expect(fields(refused)).toEqual({
      policy: '"default";q=1;w=60',
      limit: '"default";r=0;t=60',
      retryAfter: '60',
    })
  })

  it('else the onError of the stytchAuth() before it; else app.onError gets the RateLimitedError', async () => {
    const session = await stytch.emulator.seed()
    const shaped = limitedApp(
      { limit: 1, window: 60 },
      stytchAuth(
        stytchOptions({ onError: (error, c) => c.text(`no: ${error.body.error}`, error.status) })
      )
    )
    await shaped.request('/', bearer(session.sessionToken))
    const refused = await shaped.request('/', bearer(session.sessionToken))
    expect([refused.status, await refused.text()]).toEqual([429, 'no: rate_limited'])
    expect(refused.headers.get('retry-after')).toBe('60')

    const plain = limitedApp({ limit: 1, window: 60 }, stytchAuth(stytchOptions()))
    const caught: unknown[] = []
    plain.onError((error, c) => {
      caught.push(error)
      return error instanceof AuthError ? error.getResponse() : c.text('?', 500)
    })
    await plain.request('/', bearer(session.sessionToken))
    const thrown = await plain.request('/', bearer(session.sessionToken))
    expect(thrown.status).toBe(429)
    expect(caught).toHaveLength(1)
    expect(caught[0]).toBeInstanceOf(RateLimitedError)
    expect((caught[0] as RateLimitedError).retryAfterSeconds).toBe(60)
    expect(fields(thrown).limit).toBe('"default";r=0;t=60')
  })
})

describe('by: whose budget a request spends', () => {
  it("'principal': each member its own; a machine by its client id; an anonymous request by its IP", async () => {
    const options = stytchOptions({ acceptTokens: ['session', 'm2m'], optional: true })
    const app = limitedApp({ limit: 2, window: 60, name: fresh() }, stytchAuth(options))
    const ada = await stytch.emulator.seed()
    const bob = await stytch.emulator.seed()
    const send = (init: RequestInit) => app.request('/', init)
    expect(
      statuses(await Promise.all([1, 2, 3].map(() => send(bearer(ada.sessionToken)))))
    ).toEqual([200, 200, 429])
    // Ada's JWT is Ada: her budget is spent.
    expect((await send(bearer(ada.sessionJwt))).status).toBe(429)
    expect((await send(bearer(bob.sessionToken))).status).toBe(200)

    const machine = stytch.emulator.createM2MClient({ scopes: ['read:reports'] })
    const token = () =>
      stytch.emulator.mintM2MToken({ clientId: machine.clientId, scopes: ['read:reports'] })
    const [first, second, third] = [await token(), await token(), await token()]
    expect(
      statuses([await send(bearer(first)), await send(bearer(second)), await send(bearer(third))])
    ).toEqual([200, 200, 429])

    const guest = anotherIp()
    expect(
      statuses([await send(fromIp(guest)), await send(fromIp(guest)), await send(fromIp(guest))])
    ).toEqual([200, 200, 429])
    expect((await send(fromIp(anotherIp()))).status).toBe(200)
  })

  it("'principal': an API key by its id; 'organization': its organization's budget, shared with its members", async () => {
    const options = stytchOptions({
      acceptTokens: ['session', 'api_key'],
      apiKeyStore: memoryApiKeys(),
    })
    const app = new Hono()
    app.use('*', stytchAuth(options))
    app.post('/keys', async (c) => c.json((await createApiKey(c, { name: 'CI', scopes: [] })).key))
    app.get('/own', rateLimit({ limit: 2, window: 60, name: fresh() }), (c) => c.text('ok'))
    app.get(
      '/shared',
      rateLimit({ by: 'organization', limit: 3, window: 60, name: fresh() }),
      (c) => c.text('ok')
    )
    const member = await stytch.emulator.seed()
    const newKey = async () =>
      (await (
        await app.request('/keys', { method: 'POST', ...bearer(member.sessionToken) })
      ).json()) as string
    const [first, second] = [await newKey(), await newKey()]
    const send = (path: string, token: string) => app.request(path, bearer(token))
    expect(
      statuses([await send('/own', first), await send('/own', first), await send('/own', first)])
    ).toEqual([200, 200, 429])
    expect((await send('/own', second)).status).toBe(200)
    expect((await send('/own', member.sessionToken)).status).toBe(200)
    expect(
      statuses([
        await send('/shared', first),
        await send('/shared', second),
        await send('/shared', member.sessionToken),
      ])
    ).toEqual([200, 200, 200])
    expect((await send('/shared', first)).status).toBe(429)
  })

  it("'organization': two members of one organization share a budget; another organization does not", async () => {
    const app = limitedApp(
      { by: 'organization', limit: 3, window: 60, name: fresh() },
      stytchAuth(stytchOptions())
    )
    const ada = await stytch.emulator.seed()
    const colleague = stytch.emulator.createMember({
      organizationId: ada.organization.organization_id,
      email: 'grace@acme.example',
    })
    const grace = await stytch.emulator.createSession({ memberId: colleague.member_id })
    const other = await stytch.emulator.seed()
    const send = (token: string) => app.request('/', bearer(token))
    expect(
      statuses([
        await send(ada.sessionToken),
        await send(grace.sessionToken),
        await send(ada.sessionToken),
      ])
    ).toEqual([200, 200, 200])
    expect(statuses([await send(grace.sessionToken), await send(ada.sessionToken)])).toEqual([
      429, 429,
    ])
    expect((await send(other.sessionToken)).status).toBe(200)
  })

  it("'ip' behind trustedProxies: the n-th entry from the right; what the client wrote further left is ignored", async () => {
    const one = limitedApp({ by: 'ip', limit: 1, window: 60, name: fresh(), trustedProxies: 1 })
    const client = anotherIp()
    expect((await one.request('/', fromIp(`6.6.6.6, ${client}`))).status).toBe(200)
    // A new spoofed entry on the left changes nothing: the proxy's entry decides.
    expect((await one.request('/', fromIp(`7.7.7.7, ${client}`))).status).toBe(429)
    const two = limitedApp({ by: 'ip', limit: 1, window: 60, name: fresh(), trustedProxies: 2 })
    expect((await two.request('/', fromIp(`${client}, 10.0.0.1`))).status).toBe(200)
    expect((await two.request('/', fromIp(`9.9.9.9, ${client}, 10.0.0.2`))).status).toBe(429)
  })

  it('an address is normalized: ports and IPv4-mapped forms are one client; IPv6 counts by /56', async () => {
    const app = limitedApp({ by: 'ip', limit: 1, window: 60, name: fresh() })
    expect((await app.request('/', fromIp('203.0.113.9:4000'))).status).toBe(200)
    expect((await app.request('/', fromIp('[::ffff:203.0.113.9]:5000'))).status).toBe(429)
    expect((await app.request('/', fromIp('2001:db8:1:2a00::1'))).status).toBe(200)
    expect((await app.request('/', fromIp('2001:db8:1:2aff:ffff::9'))).status).toBe(429) // same /56
    expect((await app.request('/', fromIp('2001:db8:1:2b00::1'))).status).toBe(200) // the next /56
  })

  it("'ip' without trustedProxies: the connection's address, whatever X-Forwarded-For says; behind them, a header that is not a proxy's too", async () => {
    const app = new Hono()
    app.get('/', rateLimit({ by: 'ip', limit: 1, window: 60, name: fresh() }), (c) => c.text('ok'))
    app.get(
      '/proxied',
      rateLimit({ by: 'ip', limit: 1, window: 60, name: fresh(), trustedProxies: 1 }),
      (c) => c.text('ok')
    )
    app.get(
      '/told',
      rateLimit({ by: 'ip', limit: 1, window: 60, name: fresh(), getConnInfo }),
      (c) => c.text('ok')
    )
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const send = (path: string, ip: string) =>
        fetch(`${url}${path}`, { headers: { 'x-forwarded-for': ip } })
      expect(statuses([await send('/', '1.1.1.1'), await send('/', '2.2.2.2')])).toEqual([200, 429])
      // The adapter's own getConnInfo, given: the same address.
      expect(statuses([await send('/told', '1.1.1.1'), await send('/told', '2.2.2.2')])).toEqual([
        200, 429,
      ])
      // Behind a proxy, an entry that is no address was not written by it (a client reaching the
      // app directly): the connection counts, never a 500 and never a bucket of its own.
      expect(
        statuses([
          await send('/proxied', 'unknown'),
          await send('/proxied', 'garbage, ::not-an-ip'),
          await send('/proxied', '203.0.113.50'),
        ])
      ).toEqual([200, 429, 200])
    } finally {
      server.close()
    }
  })

  it('a function: its answer is the key; undefined leaves the request unlimited, with no headers', async () => {
    const app = limitedApp({
      by: (c: Context) => c.req.header('x-tenant'),
      limit: 1,
      window: 60,
      name: fresh(),
    })
    const as = (tenant?: string) =>
      app.request('/', tenant ? { headers: { 'x-tenant': tenant } } : {})
    expect(statuses([await as('a'), await as('a'), await as('b')])).toEqual([200, 429, 200])
    const free = await Promise.all([as(), as(), as()])
    expect(statuses(free)).toEqual([200, 200, 200])
    expect(free.map(fields)).toEqual(Array(3).fill({ policy: null, limit: null, retryAfter: null }))
  })
})

describe('planLimit: the organization’s subscription_limits', () => {
  /** An entitlement source with one organization document per Stytch organization id. */
  function plans(
    documents: Record<string, Record<string, unknown>>,
    down = false
  ): EntitlementSource {
    return {
      schema: DEFAULT_SCHEMA,
      async findOrganization(stytchOrganizationId) {
        if (down) throw new Error('connection refused')
        const document = documents[stytchOrganizationId]
        return document ? { _id: randomUUID().replace(/-/g, '').slice(0, 24), ...document } : null
      },
      findMember: async () => null,
    }
  }
  const limitOf = (value: unknown) => ({
    subscription_limits: value === undefined ? {} : { api_per_minute: value },
  })

  it('a number is the limit, -1 is not limited, an absent limit is the fallback', async () => {
    const [two, unlimited, absent] = [
      await stytch.emulator.seed(),
      await stytch.emulator.seed(),
      await stytch.emulator.seed(),
    ]
    const source = plans({
      [two.organization.organization_id]: limitOf(2),
      [unlimited.organization.organization_id]: limitOf(-1),
      [absent.organization.organization_id]: limitOf(undefined),
    })
    const app = limitedApp(
      { by: 'organization', window: 60, limit: planLimit('api_per_minute', 3), name: fresh() },
      stytchAuth(stytchOptions({ entitlements: source }))
    )
    const burst = async (token: string) =>
      statuses(
        await Promise.all(Array.from({ length: 5 }, () => app.request('/', bearer(token))))
      ).sort()
    expect(await burst(two.sessionToken)).toEqual([200, 200, 429, 429, 429])
    expect(await burst(absent.sessionToken)).toEqual([200, 200, 200, 429, 429])
    const free = await Promise.all(
      Array.from({ length: 20 }, () => app.request('/', bearer(unlimited.sessionToken)))
    )
    expect(new Set(statuses(free))).toEqual(new Set([200]))
    expect(fields(free[0] as Response).policy).toBeNull()
  })

  it('no entitlements loaded (no source) is the fallback; an unreachable source too, said once, never unlimited', async () => {
    const member = await stytch.emulator.seed()
    const none = limitedApp(
      { window: 60, limit: planLimit('api_per_minute', 2), name: fresh() },
      stytchAuth(stytchOptions({ entitlements: null }))
    )
    const send = (app: Hono) => app.request('/', bearer(member.sessionToken))
    expect(statuses([await send(none), await send(none), await send(none)])).toEqual([
      200, 200, 429,
    ])

    const logger = captureLogger()
    const name = fresh()
    const down = limitedApp(
      { window: 60, limit: planLimit('api_per_minute', 2), name },
      stytchAuth(stytchOptions({ entitlements: plans({}, true), logger }))
    )
    const during = [await send(down), await send(down), await send(down)]
    expect(statuses(during)).toEqual([200, 200, 429])
    expect(fields(during[0] as Response).policy).toBe(`"${name}";q=2;w=60`)
    const said = logger.lines.filter((line) => line.includes('planLimit'))
    expect(said).toHaveLength(1)
    expect(said[0]).toMatch(/^warn .*entitlement source is unavailable; the fallback of 2 applies/)
  })

  it('a plan of 0 admits nothing, and the 429 says waiting will not help', async () => {
    const member = await stytch.emulator.seed()
    const app = limitedApp(
      { by: 'organization', window: 60, limit: planLimit('api_per_minute', 5), name: fresh() },
      stytchAuth(
        stytchOptions({
          entitlements: plans({ [member.organization.organization_id]: limitOf(0) }),
        })
      )
    )
    const refused = await app.request('/', bearer(member.sessionToken))
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBeNull()
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', retry_after: null })
  })
})

describe('cost', () => {
  it('each request spends cost units; one that needs more than are left waits for them', async () => {
    const name = fresh()
    const app = limitedApp({ limit: 5, window: 50, cost: 2, name }) // a unit every 10 s
    const ip = anotherIp()
    const responses = [
      await app.request('/', fromIp(ip)),
      await app.request('/', fromIp(ip)),
      await app.request('/', fromIp(ip)),
    ]
    expect(statuses(responses)).toEqual([200, 200, 429])
    expect(responses.map((response) => fields(response).limit)).toEqual([
      `"${name}";r=3;t=20`,
      `"${name}";r=1;t=40`,
      `"${name}";r=1;t=40`,
    ])
    // One unit short: 10 s; Retry-After is never earlier than t (40 s until full, as one is left).
    expect(fields(responses[2] as Response).retryAfter).toBe('40')
  })

  it('a cost above the limit a function answers can never pass: a 429 without Retry-After', async () => {
    const app = limitedApp({ limit: () => 2, window: 60, cost: 3, name: fresh() })
    const refused = await app.request('/', fromIp())
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBeNull()
    expect(await refused.json()).toEqual({
      error: 'rate_limited',
      type: 'rate_limit',
      message: 'Too many requests: 2 per 60 s, and this request costs 3: it can never be admitted',
      retry_after: null,
    })
  })
})

describe('skipSuccessful: only answers ≥ 400 count', () => {
  /** A login that succeeds with the right password. */
  function login() {
    const app = new Hono()
    app.post(
      '/login',
      rateLimit({
        by: 'ip',
        limit: 3,
        window: 60,
        skipSuccessful: true,
        trustedProxies: 1,
        name: fresh(),
      }),
      (c) => (c.req.header('x-password') === 'right' ? c.text('welcome') : c.text('wrong', 401))
    )
    return (ip: string, password: string) =>
      app.request('/login', fromIp(ip, { method: 'POST', headers: { 'x-password': password } }))
  }

  it('successes spend nothing; failures count; once spent, every attempt is refused', async () => {
    const attempt = login()
    const ip = anotherIp()
    const successes = []
    for (let i = 0; i < 6; i++) successes.push(await attempt(ip, 'right'))
    expect(new Set(statuses(successes))).toEqual(new Set([200]))
    expect(fields(successes[5] as Response).limit).toMatch(/;r=3;t=0$/)
    const failures = []
    for (let i = 0; i < 4; i++) failures.push(await attempt(ip, 'wrong'))
    expect(statuses(failures)).toEqual([401, 401, 401, 429])
    expect((await attempt(ip, 'right')).status).toBe(429)
  })

  it('concurrent attempts are counted before they run: a burst of failures gets exactly limit tries', async () => {
    const attempt = login()
    const ip = anotherIp()
    const burst = await Promise.all(Array.from({ length: 9 }, () => attempt(ip, 'wrong')))
    expect(statuses(burst).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429])
  })
})

describe('misconfiguration', () => {
  it('a wrong option throws at startup, naming it', () => {
    const wrong: [unknown, RegExp][] = [
      [{ limit: 0, window: 60 }, /option limit: must be a positive whole number/],
      [{ limit: 1.5, window: 60 }, /option limit/],
      [{ limit: 10, window: 0 }, /option window/],
      [{ limit: 10, window: '1w' }, /option window/],
      [{ limit: 10, window: 60, by: 'user' }, /option by/],
      [{ limit: 10, window: 60, cost: -1 }, /option cost/],
      [{ limit: 3, window: 60, cost: 4 }, /cost 4 exceeds limit 3/],
      [{ limit: 10, window: 60, name: 'a"b' }, /option name/],
      [
        { limit: 10, window: 60, store: {} },
        /option store: must be a store that can decide rate limits/,
      ],
      [{ limit: 10, window: 60, trustedProxies: -1 }, /option trustedProxies/],
      [{ limit: 2_000_000, window: 1 }, /more than one per microsecond/],
      [{ limit: 10, window: 60, max: 5 }, /option max/],
    ]
    for (const [options, message] of wrong) {
      const build = () => rateLimit(options as RateLimitOptions)
      expect(build).toThrow(ConfigurationError)
      expect(build).toThrow(message)
    }
    expect(() => planLimit('api_per_minute', -1)).toThrow(/an outage never lifts a limit/)
  })

  it('a client IP that cannot be known is a JSON 500 naming the fix, logged once: never one shared bucket', async () => {
    const logger = captureLogger()
    const app = limitedApp(
      { limit: 10, window: 60, by: 'ip', trustedProxies: 0, name: fresh() },
      stytchAuth(stytchOptions({ optional: true, logger }))
    )
    const [first, second] = [await app.request('/'), await app.request('/')]
    expect([first.status, second.status]).toEqual([500, 500])
    expect(await first.json()).toMatchObject({
      error: 'configuration_error',
      message: expect.stringContaining('pass getConnInfo'),
    })
    expect(logger.lines.filter((line) => line.includes("the client's IP address"))).toHaveLength(1)
  })

  it('alone, with no Stytch settings in the environment: limited in process, said once as a WARN, no configuration error', async () => {
    const script = `
      import { Hono } from 'hono'
      import { rateLimit } from './src/index.ts'
      const app = new Hono()
      app.get('/', rateLimit({ limit: 1, window: 60, by: () => 'one' }), (c) => c.text('ok'))
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await app.request('/')).status)
      console.log(statuses.join(' '))`
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(STYTCH|UPSTASH|AUTH0)_/.test(name))
    )
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        env,
        encoding: 'utf8',
      }
    )
    expect(child.stdout.trim()).toBe('200 429 429')
    const lines = child.stderr.trim().split('\n')
    expect(lines).toEqual([expect.stringContaining('such limits are kept in this process')])
    expect(child.stderr).not.toContain('configuration error')
  })
})
