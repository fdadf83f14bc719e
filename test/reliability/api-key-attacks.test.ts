/**
 * The attack suite's API keys (issue 25, item 6): an attacker who knows the format and has seen a
 * victim's key, its `start`, its id, or its stored hash. Truncated, padded, wrong checksum, the
 * other environment, another project's valid-looking key (a correct format and checksum that no
 * store holds), the stored hash sent as a key, and their neighbours: every one is a 401, on a route
 * of sessions and keys and on a route of keys alone; no handler sees it; a key with a bad format
 * costs no store read and no Stytch call, a well-formed unknown key one store read (then none: it
 * is remembered); and neither the answer nor the DEBUG log names anything stored (the victim's
 * key, hash, id, start, name, organization or creator). The victim's key passes, so none of this
 * passes vacuously. Keys in MongoDB (real driver, wire-protocol server), Stytch emulated.
 */
import { Hono } from 'hono'
import { ObjectId } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mongoApiKeys } from '../../adapters/mongodb.ts'
import {
  closeAuth,
  stytchAuth,
  type Principal,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import {
  forgedKey,
  jsonRequest,
  keyApp,
  keysPolicy,
  sha256Hex,
  withChecksum,
  type IssuedKey,
} from '../api-keys/key-app.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'
import { bearer, captureLogger } from './recording-app.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, type World } from './world.ts'

failOnUnhandledRejections()

let world: World
let wire: MongoWireServer
let victim: IssuedKey & { organizationId: string; memberId: string }
const logger = captureLogger()
/** Every principal a handler saw. */
const handled: unknown[] = []
let app: Hono

beforeAll(async () => {
  ;[world, wire] = await Promise.all([startWorld(), startMongoWireServer()])
  world.stytch.emulator.setPolicy(keysPolicy())
  const options: StytchAuthOptions = {
    ...world.stytchOptions(),
    apiKeyStore: mongoApiKeys({ uri: wire.uri, queryTimeoutMs: 500 }),
    entitlements: null,
    logger,
    logLevel: 'DEBUG',
    prefix: `key_attacks_${process.pid}`,
  }
  app = new Hono()
  app.route('/', keyApp(options))
  const keysOnly = new Hono<PrincipalEnv>()
  keysOnly.use('*', stytchAuth({ ...options, acceptTokens: ['api_key'] }))
  keysOnly.get('/me', (c) => {
    handled.push(c.var.auth)
    return c.json(c.var.auth)
  })
  app.route('/keys-only', keysOnly)
  const optional = new Hono<{ Variables: { auth: Principal | null } }>()
  optional.use(
    '*',
    stytchAuth({ ...options, acceptTokens: ['session', 'api_key'], optional: true })
  )
  optional.get('/me', (c) => {
    const auth = c.var.auth
    if (auth !== null) handled.push(auth)
    return c.json({ auth })
  })
  app.route('/optional', optional)

  const seeded = await world.stytch.emulator.seed({
    member: { roles: ['key_manager'] },
    organization: { name: `Victim ${new ObjectId().toHexString()}` },
  })
  const created = await app.request(
    '/api/keys',
    jsonRequest('POST', seeded.sessionToken, { name: 'victim-ci', scopes: ['read:reports'] })
  )
  expect(created.status).toBe(201)
  victim = {
    ...((await created.json()) as IssuedKey),
    organizationId: seeded.organization.organization_id,
    memberId: seeded.member.member_id,
  }
})
afterAll(async () => {
  await closeAuth()
  await Promise.all([wire?.close(), world?.close()])
})

/** What the attacker sends, and what it may cost. */
interface Attack {
  readonly name: string
  readonly token: () => string
  /** `token_extraction` for a bad format (no lookup at all), else `token_verification`. */
  readonly type: 'token_extraction' | 'token_verification'
  /** Store reads the first attempt may cost (a well-formed unknown key: one, then remembered). */
  readonly reads: 0 | 1
  /** Whether it is shaped as a Stytch session token, so a route of sessions asks Stytch about it. */
  readonly stytch?: true
}

const flip = (character: string | undefined) => (character === 'A' ? 'B' : 'A')
const hashOfVictim = () => sha256Hex(victim.key)

const ATTACKS: Attack[] = [
  {
    name: 'truncated by one character',
    token: () => victim.key.slice(0, -1),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'truncated to its start',
    token: () => victim.key.slice(0, 12),
    type: 'token_extraction',
    reads: 0,
  },
  { name: 'truncated to the prefix', token: () => 'ak_test_', type: 'token_extraction', reads: 0 },
  {
    name: 'padded with one character',
    token: () => `${victim.key}A`,
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'padded with base64 padding',
    token: () => `${victim.key}==`,
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'a truncated key re-padded to length',
    // The filler differs from the character lost (one key in 62 ends in `0`).
    token: () => `${victim.key.slice(0, -1)}${victim.key.endsWith('0') ? '1' : '0'}`,
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'wrong checksum',
    token: () => victim.key.slice(0, -1) + flip(victim.key.at(-1)),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'one random character changed',
    token: () => victim.key.slice(0, 30) + flip(victim.key[30]) + victim.key.slice(31),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'the case of the random part flipped',
    token: () =>
      victim.key.slice(0, 8) +
      [...victim.key.slice(8)]
        .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
        .join(''),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'the other environment: its random part under ak_live_, checksum recomputed',
    token: () => withChecksum(`ak_live_${victim.key.slice(8, -6)}`),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'the other environment: its prefix swapped, checksum kept',
    token: () => `ak_live_${victim.key.slice(8)}`,
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'the other environment: a live key of the right format',
    token: () => forgedKey('live'),
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: "another project's valid-looking key (format and checksum right, stored nowhere)",
    token: () => forgedKey('test'),
    type: 'token_verification',
    reads: 1,
  },
  {
    name: 'the stored hash sent as a key',
    token: hashOfVictim,
    type: 'token_verification',
    reads: 0,
    stytch: true,
  },
  {
    name: 'the stored hash under the key prefix',
    token: () => `ak_test_${hashOfVictim()}`,
    type: 'token_extraction',
    reads: 0,
  },
  {
    name: 'the stored hash, cut to a key and given a valid checksum',
    token: () => withChecksum(`ak_test_${hashOfVictim().slice(0, 32)}`),
    type: 'token_verification',
    reads: 1,
  },
  {
    name: "the key's id sent as a key",
    token: () => victim.record.id,
    type: 'token_verification',
    reads: 0,
    stytch: true,
  },
  {
    name: "a Stytch session token's length under the key prefix (a session token may begin with ak_)",
    token: () => victim.key.slice(0, 44),
    type: 'token_verification',
    reads: 0,
    stytch: true,
  },
  {
    name: 'an upper-case prefix',
    token: () => `AK_TEST_${victim.key.slice(8)}`,
    type: 'token_verification',
    reads: 0,
    stytch: true,
  },
  {
    name: 'the key with a dot appended (JWT-like)',
    token: () => `${victim.key}.`,
    type: 'token_verification',
    reads: 0,
  },
]

/** Everything stored about the victim's key that an answer or a log line must not name. */
function storedFacts(): Record<string, string> {
  return {
    'the key': victim.key,
    'its secret part': victim.key.slice(12),
    'its hash': hashOfVictim(),
    'the start of its hash (as a log would abbreviate it)': hashOfVictim().slice(0, 12),
    'its id': victim.record.id,
    'its start': victim.key.slice(0, 12),
    'its name': 'victim-ci',
    'its organization': victim.organizationId,
    'its creator': victim.memberId,
  }
}

const storeReads = () =>
  wire.store.commandLog.filter(
    (entry) => entry.collection === 'api_keys' && entry.command === 'find'
  ).length

describe('API key attacks: 401, no handler, nothing stored named', () => {
  it.each(ATTACKS.map((attack) => [attack.name, attack] as const))('%s', async (_name, attack) => {
    const token = attack.token()
    const reads = storeReads()
    const stytchCalls = world.stytch.emulator.calls.authenticate
    const handledBefore = handled.length
    const logged = logger.lines.length
    const answers: string[] = []
    for (const route of ['/api/me', '/api/reports', '/keys-only/me', '/api/me']) {
      const response = await app.request(route, bearer(token))
      const body = await response.text()
      answers.push(`${[...response.headers].join(' ')} ${body}`)
      expect({ route, status: response.status, body: JSON.parse(body) as unknown }).toEqual({
        route,
        status: 401,
        body: { error: 'authentication_failed', message: expect.any(String), type: attack.type },
      })
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    const optional = await app.request('/optional/me', bearer(token))
    expect({ status: optional.status, body: await optional.json() }).toEqual({
      status: 200,
      body: { auth: null },
    })
    expect({
      handled: handled.length - handledBefore,
      storeReads: storeReads() - reads,
      // Only a session-shaped token reaches Stytch, once (then remembered), and only on a route of sessions.
      stytchCalls: world.stytch.emulator.calls.authenticate - stytchCalls,
    }).toEqual({ handled: 0, storeReads: attack.reads, stytchCalls: attack.stytch ? 1 : 0 })

    const said = [...answers, ...logger.lines.slice(logged)]
    const named = Object.entries(storedFacts()).flatMap(([fact, value]) =>
      said.filter((text) => text.includes(value)).map((text) => `${fact}: ${text.slice(0, 160)}`)
    )
    expect(named).toEqual([])
  })

  it("the victim's own key passes on every route (the attacks are refused for what they are)", async () => {
    const handledBefore = handled.length
    for (const route of ['/api/me', '/api/reports', '/keys-only/me']) {
      const response = await app.request(route, bearer(victim.key))
      expect({ route, status: response.status }).toEqual({ route, status: 200 })
    }
    const optional = (await (await app.request('/optional/me', bearer(victim.key))).json()) as {
      auth: { keyId?: string }
    }
    expect(optional.auth.keyId).toBe(victim.record.id)
    expect(handled.length - handledBefore).toBe(2)
  })

  it('a key sent in a query string is not a credential', async () => {
    const response = await app.request(`/api/me?api_key=${victim.key}&access_token=${victim.key}`)
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 401,
      body: { type: 'token_extraction' },
    })
  })
})
