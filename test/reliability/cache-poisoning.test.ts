/**
 * Cache poisoning against a real redis-server: whoever can write to Redis (but does not hold the
 * Stytch secret) cannot make the library serve an entry as a session for another token. Moved,
 * altered, unsealed, foreign-sealed, foreign-prefixed and garbage entries all read as a miss: the
 * library asks Stytch, which answers 401 for a bogus token (and 200, with the true identity, for a
 * real one).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisCache } from '../../adapters/ioredis.ts'
import { hmacSealer } from '../../src/cache/seal.ts'
import { redisOrSkip } from '../fixtures/redis/index.ts'
import { HandlerLedger } from './ledger.ts'
import { bearer, captureLogger, recordingApp, uniquePrefix } from './recording-app.ts'
import { commandIn, valueIn, writeIn } from './redis-access.ts'
import { sessionKey } from './scenarios/cache.ts'
import { sleep, until } from './scenarios/scenario.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, type World } from './world.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World
beforeAll(async () => {
  world = await startWorld({ redis: availability.available })
})
afterAll(async () => {
  expect(ledger.violations()).toEqual([])
  await world?.close()
})

/** The database this file's stores use. */
const DB = 6
const L1_TTL_SECONDS = 0.05

/** A token of the shape of a Stytch session token that Stytch never issued. */
function inventedToken(): string {
  return randomBytes(33).toString('base64url')
}

/** An app whose sessions live in Redis (L1 short, so Redis is read), and a session it has cached there. */
async function poisonable(prefix = uniquePrefix('poison')) {
  const redis = world.redis!
  const app = recordingApp(
    {
      ...world.stytchOptions(),
      logger: captureLogger(),
      prefix,
      l1Ttl: L1_TTL_SECONDS,
      cache: redisCache({ url: redis.url, db: DB }),
    },
    ledger
  )
  const victim = await world.session(ledger)
  expect((await app.request('/api/me', bearer(victim.sessionToken))).status).toBe(200)
  const key = sessionKey(prefix, victim.sessionToken)
  await until(
    async () => (await valueIn(redis.port, DB, key)) !== null,
    2000,
    'the session never reached Redis'
  )
  const sealed = (await valueIn(redis.port, DB, key))!
  await sleep(L1_TTL_SECONDS * 2000)
  return { app, prefix, victim, key, sealed }
}

/**
 * The envelope (`{"u":…,"d":{…}}`) inside a sealed value `v1.<tag>.<envelope>` or
 * `v1.<tag>.<envelope>\n<text>`, and the payload it makes again with the envelope changed.
 */
function openedOf(sealed: string): {
  envelope: { u: number; d: Record<string, unknown> }
  text: string | undefined
  payload: (envelope: unknown) => string
} {
  const [version, tag] = sealed.split('.', 2)
  const [json = '', ...text] = sealed.slice(`${version}.${tag}.`.length).split('\n')
  return {
    envelope: JSON.parse(json) as { u: number; d: Record<string, unknown> },
    text: text[0],
    payload: (envelope) => [JSON.stringify(envelope), ...text].join('\n'),
  }
}

/** Sends `token`, expecting `status`; how many Stytch calls it took. */
async function callsFor(
  app: ReturnType<typeof recordingApp>,
  token: string,
  status: number
): Promise<number> {
  const before = world.stytch.emulator.calls.authenticate
  const res = await app.request('/api/me', bearer(token))
  expect(res.status).toBe(status)
  return world.stytch.emulator.calls.authenticate - before
}

/** Writes `value` under the session key of `token` in `prefix`. */
function plant(prefix: string, token: string, value: string): Promise<void> {
  return writeIn(world.redis!.port, DB, sessionKey(prefix, token), value)
}

describe.skipIf(!availability.available)('a poisoned Redis is never trusted', () => {
  it('control: a genuine entry is served from Redis without asking Stytch (so the attacks below do reach the tier)', async () => {
    const { app, victim } = await poisonable()
    expect(await callsFor(app, victim.sessionToken, 200)).toBe(0)
  })

  it('control: an entry of the earlier layout (the Stytch response inside its JSON, ISO times) is still served without asking Stytch', async () => {
    const { app, prefix, victim, sealed } = await poisonable()
    const { envelope, text } = openedOf(sealed)
    expect(text).toContain('"member_session"')
    const times = [
      'sessionStartedAt',
      'sessionExpiresAt',
      'sessionLastAccessedAt',
      'authenticatedAt',
    ]
    const iso = times.map((field) => [field, new Date(envelope.d[field] as number).toISOString()])
    const earlier = {
      ...envelope,
      d: { ...envelope.d, ...Object.fromEntries(iso), rawSession: text },
    }
    const key = sessionKey(prefix, victim.sessionToken)
    const resealed = await hmacSealer(world.stytch.secret).seal(key, JSON.stringify(earlier))
    await plant(prefix, victim.sessionToken, resealed)
    expect(await callsFor(app, victim.sessionToken, 200)).toBe(0)
    const served = (await (
      await app.request('/api/me', bearer(victim.sessionToken))
    ).json()) as object
    expect(served).toMatchObject(Object.fromEntries(iso))
  })

  it("a valid session's entry copied under another token's key: that token is still a 401", async () => {
    const { app, prefix, sealed } = await poisonable()
    const bogus = inventedToken()
    await plant(prefix, bogus, sealed)
    expect(await callsFor(app, bogus, 401)).toBe(1)
  })

  it('a field of a sealed entry altered (another member): ignored; the true identity is served after asking Stytch', async () => {
    const { app, prefix, victim, sealed } = await poisonable()
    const [version, tag] = sealed.split('.', 2)
    const { envelope, payload } = openedOf(sealed)
    const other = await world.session(ledger)
    const altered = payload({
      ...envelope,
      d: {
        ...envelope.d,
        memberId: other.member.member_id,
        organizationId: other.organization.organization_id,
      },
    })
    await plant(prefix, victim.sessionToken, `${version}.${tag}.${altered}`)
    expect(await callsFor(app, victim.sessionToken, 200)).toBe(1)
    const bogus = inventedToken()
    await plant(prefix, bogus, `${version}.${tag}.${altered}`)
    expect(await callsFor(app, bogus, 401)).toBe(1)
  })

  it('a well-formed session written without a seal (plain JSON, or with a made-up tag) is a miss', async () => {
    const { app, prefix, sealed } = await poisonable()
    const { envelope: unsealed, payload } = openedOf(sealed)
    const envelope = payload(unsealed)
    for (const value of [
      envelope,
      `v1.${randomBytes(32).toString('base64url')}.${envelope}`,
      `v1..${envelope}`,
      `v2.x.${envelope}`,
    ]) {
      const bogus = inventedToken()
      await plant(prefix, bogus, value)
      expect(await callsFor(app, bogus, 401)).toBe(1)
    }
  })

  it('an entry sealed with another project secret, in the same Redis and prefix, is a miss', async () => {
    const { app, prefix, sealed } = await poisonable()
    const bogus = inventedToken()
    const key = sessionKey(prefix, bogus)
    const { envelope, payload } = openedOf(sealed)
    const foreign = await hmacSealer('secret-test-another-project-000000000000').seal(
      key,
      payload(envelope)
    )
    await plant(prefix, bogus, foreign)
    expect(await callsFor(app, bogus, 401)).toBe(1)
  })

  it('an entry moved to another prefix is a miss there, for the same token and for any other', async () => {
    const { victim, sealed } = await poisonable()
    const elsewhere = await poisonable()
    // The victim's entry of the first app, planted for the second app's prefix.
    await plant(elsewhere.prefix, victim.sessionToken, sealed)
    expect(await callsFor(elsewhere.app, victim.sessionToken, 200)).toBe(1)
    const bogus = inventedToken()
    await plant(elsewhere.prefix, bogus, sealed)
    expect(await callsFor(elsewhere.app, bogus, 401)).toBe(1)
  })

  it('garbage (empty, not JSON, a huge value, an envelope of the wrong shape) is a miss, never a 5xx', async () => {
    const { app, prefix } = await poisonable()
    const sealer = hmacSealer(world.stytch.secret)
    const garbage = ['', 'not json', 'v1', 'v1.', '{"u":1e999,"d":{}}', 'x'.repeat(1 << 20)]
    for (const value of garbage) {
      const bogus = inventedToken()
      await plant(prefix, bogus, value)
      expect(await callsFor(app, bogus, 401)).toBe(1)
    }
    // Even correctly sealed (the secret leaked), a body that is not a session is a miss.
    for (const body of [
      { u: Date.now() + 60_000, d: { memberId: 42 } },
      { u: 'soon', d: {} },
      [1, 2],
    ]) {
      const bogus = inventedToken()
      await plant(prefix, bogus, await sealer.seal(sessionKey(prefix, bogus), JSON.stringify(body)))
      expect(await callsFor(app, bogus, 401)).toBe(1)
    }
  })

  it('a key holding another Redis type (a list) is a miss, never a 5xx', async () => {
    const { app, prefix } = await poisonable()
    const bogus = inventedToken()
    await commandIn(world.redis!.port, DB, ['RPUSH', sessionKey(prefix, bogus), 'v1.x.{}'])
    expect(await callsFor(app, bogus, 401)).toBe(1)
  })
})
