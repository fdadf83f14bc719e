/**
 * Issue 25's acceptance, in one process: an app written from the README (`keyApp`), configured as a
 * user configures it (`STYTCH_MONGODB_URI` alone gives it the key store and the entitlements), with
 * the real `stytch` SDK in front of the Stytch emulator (whose RBAC policy decides what a member
 * may grant) and the real `mongodb` driver in front of the wire-protocol server, where every read
 * and write is counted and every stored document inspected raw.
 *
 * 1. A created key authenticates; what is stored is its hash and start only; a malformed key is a
 *    401 `token_extraction` that reads no store.
 * 2. Guards decide by the key's scopes and organization; creating a wider key is a 403.
 * 3. (in process) Revocation, rotation with and without grace, expiry.
 * 4. Tenancy of the management functions.
 * 5. No write per request; a failing write fails no request.
 * The fleet's side of 3 is test/api-keys/api-key-fleet.test.ts.
 */
import { EJSON } from 'bson'
import { Hono } from 'hono'
import { ObjectId } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../adapters/mongodb.ts'
import {
  closeAuth,
  requireScopes,
  stytchAuth,
  type AuthEvent,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'
import { bearer, captureLogger } from '../integration/harness.ts'
import { failOnUnhandledRejections } from '../reliability/unhandled-rejections.ts'
import {
  forgedKey,
  jsonRequest,
  keyApp,
  keysPolicy,
  sha256Hex,
  withChecksum,
  type IssuedKey,
} from './key-app.ts'

failOnUnhandledRejections()

const DB = 'soulmates'
/** Every field DESIGN lists for a stored key, and nothing else. */
const STORED_FIELDS = [
  '_id',
  'key_hash',
  'start',
  'organization_id',
  'created_by',
  'name',
  'scopes',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
  'replaces',
  'grace_until',
].sort()

let stytch: RunningStytchEmulator
let wire: MongoWireServer
let env: Record<string, string>
beforeAll(async () => {
  ;[stytch, wire] = await Promise.all([startStytchEmulator(), startMongoWireServer({ dbName: DB })])
  stytch.emulator.setPolicy(keysPolicy())
  env = { ...stytch.env(), STYTCH_MONGODB_URI: wire.uri }
})
afterAll(async () => {
  await closeAuth()
  await Promise.all([wire?.close(), stytch?.close()])
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let apps = 0

/**
 * The README's app, configured by `env` (the emulator and `STYTCH_MONGODB_URI`), its own caches;
 * beside it, two more mounts of the same project: `/sessions/me` (a `stytchAuth()` of sessions
 * alone) and `/v2/reports` (a `stytchAuth()` of keys alone, behind `requireScopes`).
 */
function app(options: StytchAuthOptions = {}) {
  const logger = captureLogger()
  const events: AuthEvent[] = []
  const settings: StytchAuthOptions = {
    client: stytch.client(),
    prefix: `keys_${process.pid}_${++apps}`,
    logger,
    logLevel: 'DEBUG',
    onEvent: (event) => events.push(event),
    ...options,
  }
  const built = new Hono<PrincipalEnv>()
  built.route('/', keyApp(settings))
  built.use('/sessions/*', stytchAuth(settings))
  built.get('/sessions/me', (c) => c.json(c.var.auth))
  built.use('/v2/*', stytchAuth({ ...settings, acceptTokens: ['api_key'] }))
  built.get('/v2/reports', requireScopes('read:reports'), (c) => c.text('reports'))
  const send = (path: string, init: RequestInit = {}) => built.request(path, init, env)
  const status = async (path: string, token: string) => (await send(path, bearer(token))).status
  return { send, status, logger, events }
}
type App = ReturnType<typeof app>

/** An organization in Stytch and in MongoDB (plan `pro`, `foresight`), and a member's session. */
async function customer(roles: string[] = ['key_manager']) {
  const seeded = await stytch.emulator.seed({
    member: { roles },
    organization: { name: `Org ${new ObjectId().toHexString()}` },
    durationMinutes: 600,
  })
  const mongoOrganizationId = new ObjectId()
  wire.store.collection(DB, 'organizations').insertOne({
    _id: mongoOrganizationId,
    stytch_org_id: seeded.organization.organization_id,
    subscription_tier: 'pro',
    entitlements: ['foresight'],
    subscription_limits: { api_requests_per_minute: 600 },
  })
  return {
    token: seeded.sessionToken,
    organizationId: seeded.organization.organization_id,
    memberId: seeded.member.member_id,
    mongoOrganizationId: mongoOrganizationId.toHexString(),
  }
}
type Customer = Awaited<ReturnType<typeof customer>>

/** Creates a key through `POST /api/keys` as `owner`; fails the test unless it is a 201. */
async function issue(
  { send }: App,
  owner: Pick<Customer, 'token'>,
  body: { name?: string; scopes: string[]; expiresIn?: number }
): Promise<IssuedKey> {
  const response = await send(
    '/api/keys',
    jsonRequest('POST', owner.token, { name: 'CI', ...body })
  )
  expect(response.status, await response.clone().text()).toBe(201)
  return response.json()
}

/** `api_keys` commands of `command` that reached the wire server so far. */
const commands = (command: 'find' | 'insert' | 'update') =>
  wire.store.commandLog.filter(
    (entry) => entry.collection === 'api_keys' && entry.command === command
  ).length
const storedKeys = (organizationId: string) =>
  wire.store.collection(DB, 'api_keys').find({ organization_id: organizationId })

/** Polls `check` every 10 ms for at most `ms`; whether it came true. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + ms
  for (;;) {
    if (await check()) return true
    if (performance.now() > deadline) return false
    await sleep(10)
  }
}

describe('1. a created key authenticates; only its hash and start are stored', () => {
  it("answers 200 with kind api_key, the key's fields and the organization's entitlements from MongoDB", async () => {
    const subject = app()
    const owner = await customer()
    const { key, record } = await issue(subject, owner, {
      scopes: ['read:reports'],
      expiresIn: 86_400,
    })
    // DESIGN's format: the environment of the project (a test project), 32 base62 characters,
    // then zlib's CRC32 of everything before it in 6 base62 digits.
    expect(key).toMatch(/^ak_test_[0-9A-Za-z]{38}$/)
    expect(withChecksum(key.slice(0, -6))).toBe(key)

    const me = await subject.send('/api/me', bearer(key))
    expect(me.status).toBe(200)
    const auth = (await me.json()) as Record<string, unknown>
    expect(auth).toEqual({
      kind: 'api_key',
      keyId: record.id,
      name: 'CI',
      organizationId: owner.organizationId,
      createdBy: owner.memberId,
      scopes: ['read:reports'],
      expiresAt: record['expiresAt'],
      authenticatedAt: expect.any(String),
      entitlementsStatus: 'loaded',
      entitlements: ['foresight'],
      subscriptionTier: 'pro',
      subscriptionLimits: { api_requests_per_minute: 600 },
      currentTeamId: null,
      currentTeamName: null,
      mongoUserId: null,
      mongoOrganizationId: owner.mongoOrganizationId,
    })
    expect(new Date(String(record['expiresAt'])).getTime()).toBeGreaterThan(Date.now() + 86_300_000)
    // Verified once, then served from memory.
    const reads = commands('find')
    for (let request = 0; request < 20; request++)
      expect(await subject.status('/api/me', key)).toBe(200)
    expect(commands('find')).toBe(reads)
    expect(subject.events.filter((event) => event.type === 'authenticated').at(-1)).toMatchObject({
      kind: 'api_key',
      keyId: record.id,
      organizationId: owner.organizationId,
      tier: 'l1',
    })
  })

  it('stores its SHA-256 and first 12 characters: no key, and nothing of the random part beyond start', async () => {
    const subject = app()
    const owner = await customer()
    const { key, record } = await issue(subject, owner, { scopes: ['read:reports'] })
    const documents = storedKeys(owner.organizationId)
    expect(documents).toHaveLength(1)
    const [document] = documents as [Record<string, unknown>]
    expect(Object.keys(document).sort()).toEqual(STORED_FIELDS)
    expect(document).toMatchObject({
      key_hash: sha256Hex(key),
      start: key.slice(0, 12),
      organization_id: owner.organizationId,
      created_by: owner.memberId,
      name: 'CI',
      scopes: ['read:reports'],
      expires_at: null,
      revoked_at: null,
      replaces: null,
      grace_until: null,
    })
    expect(String(document['_id'])).toBe(record.id)
    const stored = EJSON.stringify(document, { relaxed: false })
    expect(stored).not.toContain(key)
    // Every 10 characters of what follows `start` (5 would turn up in a document this size by
    // chance about once in 50,000 runs; 10, never).
    const hidden = key.slice(12)
    const leaked = []
    for (let at = 0; at + 10 <= hidden.length; at++)
      if (stored.includes(hidden.slice(at, at + 10))) leaked.push(hidden.slice(at, at + 10))
    expect(leaked).toEqual([])
  })

  it('a wrong checksum, a foreign environment prefix or a malformed key is a 401 token_extraction that reads no store and asks Stytch nothing', async () => {
    const subject = app()
    const owner = await customer()
    const { key } = await issue(subject, owner, { scopes: ['read:reports'] })
    const lastCharacter = key.at(-1) === 'A' ? 'B' : 'A'
    const candidates = {
      'wrong checksum': key.slice(0, -1) + lastCharacter,
      'a typo in the random part': key.slice(0, 20) + (key[20] === 'x' ? 'y' : 'x') + key.slice(21),
      'the live prefix (a key of the other environment)': forgedKey('live'),
      'the key with its prefix changed to live': withChecksum('ak_live_' + key.slice(8, -6)),
      'truncated by one character': key.slice(0, -1),
      'one character too many': key + 'A',
      'an unknown environment': withChecksum('ak_prod_' + key.slice(8, -6)),
      'no random part': withChecksum('ak_test_'),
      'a key with an underscore in it': withChecksum(
        'ak_test_' + key.slice(8, 20) + '_' + key.slice(21, -6)
      ),
    }
    const reads = commands('find')
    const stytchCalls = stytch.emulator.calls.total
    const answers: Record<string, unknown> = {}
    for (const [name, candidate] of Object.entries(candidates)) {
      const response = await subject.send('/api/me', bearer(candidate))
      answers[name] = {
        status: response.status,
        type: ((await response.json()) as { type?: string }).type,
      }
    }
    expect(answers).toEqual(
      Object.fromEntries(
        Object.keys(candidates).map((name) => [name, { status: 401, type: 'token_extraction' }])
      )
    )
    expect({
      storeReads: commands('find') - reads,
      stytchCalls: stytch.emulator.calls.total - stytchCalls,
    }).toEqual({
      storeReads: 0,
      stytchCalls: 0,
    })
    // The genuine key still works: nothing above was mistaken for it.
    expect(await subject.status('/api/me', key)).toBe(200)
  })
})

describe('1. (and DESIGN) a key where keys are not accepted', () => {
  it('is a 401 token_verification on a route of sessions alone, with no store read and no Stytch call, cached or not', async () => {
    const subject = app()
    const owner = await customer()
    const { key } = await issue(subject, owner, { scopes: ['read:reports'] })
    const refusedBefore = await subject.send('/sessions/me', bearer(key))
    expect(await subject.status('/v2/reports', key)).toBe(200) // now verified and in memory
    const reads = commands('find')
    const stytchCalls = stytch.emulator.calls.total
    const refusedAfter = await subject.send('/sessions/me', bearer(key))
    for (const refused of [refusedBefore, refusedAfter])
      expect({ status: refused.status, body: await refused.json() }).toMatchObject({
        status: 401,
        body: { type: 'token_verification' },
      })
    expect({
      storeReads: commands('find') - reads,
      stytchCalls: stytch.emulator.calls.total - stytchCalls,
    }).toEqual({ storeReads: 0, stytchCalls: 0 })
  })
})

describe("2. guards decide by the key's scopes and organization", () => {
  it('requireScopes and requirePermission by scopes, requireOrganization by organization, member-only guards 403', async () => {
    const subject = app()
    const owner = await customer()
    const other = await customer()
    const reports = (await issue(subject, owner, { scopes: ['read:reports'] })).key
    const documents = (await issue(subject, owner, { scopes: ['read:documents'] })).key
    const call = async (method: string, path: string, key: string) => {
      const response = await subject.send(path, { method, ...bearer(key) })
      const text = await response.text()
      return {
        status: response.status,
        ...(response.status >= 400 ? { error: (JSON.parse(text) as { error: string }).error } : {}),
      }
    }
    expect({
      'requireScopes(read:reports), key read:reports': await call('GET', '/api/reports', reports),
      'requireScopes(read:reports), key read:documents': await call(
        'GET',
        '/api/reports',
        documents
      ),
      'requirePermission(documents, read), key read:documents': await call(
        'GET',
        '/api/documents',
        documents
      ),
      'requirePermission(documents, read), key read:reports': await call(
        'GET',
        '/api/documents',
        reports
      ),
      'requirePermission(documents, delete), key read:documents': await call(
        'DELETE',
        '/api/documents',
        documents
      ),
      'requireOrganization, its organization': await call(
        'GET',
        `/api/orgs/${owner.organizationId}/invoices`,
        reports
      ),
      'requireOrganization, another organization': await call(
        'GET',
        `/api/orgs/${other.organizationId}/invoices`,
        reports
      ),
      'requireFactors(mfa)': await call('GET', '/api/mfa', reports),
      'requireEntitlement(foresight), by its organization': await call(
        'GET',
        '/api/entitled',
        reports
      ),
    }).toEqual({
      'requireScopes(read:reports), key read:reports': { status: 200 },
      'requireScopes(read:reports), key read:documents': {
        status: 403,
        error: 'insufficient_scope',
      },
      'requirePermission(documents, read), key read:documents': { status: 200 },
      'requirePermission(documents, read), key read:reports': {
        status: 403,
        error: 'insufficient_permissions',
      },
      'requirePermission(documents, delete), key read:documents': {
        status: 403,
        error: 'insufficient_permissions',
      },
      'requireOrganization, its organization': { status: 200 },
      'requireOrganization, another organization': { status: 403, error: 'tenancy_mismatch' },
      'requireFactors(mfa)': { status: 403, error: 'insufficient_authentication' },
      'requireEntitlement(foresight), by its organization': { status: 200 },
    })
    const denied = await subject.send('/api/reports', bearer(documents))
    expect(denied.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="read:reports"'
    )
  })

  it("creating a key with a scope the member's roles do not grant is a 403, and stores nothing", async () => {
    const subject = app()
    const manager = await customer(['key_manager'])
    const admin = await customer(['stytch_admin'])
    const member = await customer([])
    const create = async (owner: Customer, scopes: string[]) => {
      const response = await subject.send(
        '/api/keys',
        jsonRequest('POST', owner.token, { name: 'CI', scopes })
      )
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    // key_manager: api_keys create, reports read, documents read (every member); no documents write.
    expect(await create(manager, ['write:documents'])).toEqual({
      status: 403,
      body: expect.objectContaining({
        error: 'insufficient_permissions',
        required_permission: { resource_id: 'documents', action: 'write' },
      }),
    })
    expect((await create(manager, ['read:reports', 'delete:documents'])).status).toBe(403)
    expect((await create(manager, ['read:*'])).status).toBe(403)
    expect(storedKeys(manager.organizationId)).toEqual([])
    expect((await create(manager, ['read:reports', 'read:documents'])).status).toBe(201)
    // The same scope is granted to a member whose roles hold it: the policy decides, not the code.
    expect((await create(admin, ['write:documents'])).status).toBe(201)
    // And a member who may not create keys at all meets the app's guard.
    expect((await create(member, ['read:documents'])).status).toBe(403)
    expect(storedKeys(member.organizationId)).toEqual([])
  })

  it('a key that may create keys cannot create one wider than itself', async () => {
    const subject = app()
    const owner = await customer(['stytch_admin'])
    const { key, record } = await issue(subject, owner, {
      scopes: ['create:api_keys', 'read:reports'],
    })
    const create = (scopes: string[]) =>
      subject.send('/api/keys', jsonRequest('POST', key, { name: 'child', scopes }))
    expect((await create(['read:documents'])).status).toBe(403)
    const child = await create(['read:reports'])
    expect(child.status).toBe(201)
    const { record: childRecord } = (await child.json()) as IssuedKey
    expect(childRecord).toMatchObject({
      organizationId: owner.organizationId,
      scopes: ['read:reports'],
    })
    expect(childRecord['createdBy']).toContain(record.id)
  })
})

describe('3. (one process) revocation, rotation, expiry', () => {
  it('a revoked key is a 401 at once, and stays one', async () => {
    const subject = app()
    const owner = await customer()
    const { key, record } = await issue(subject, owner, { scopes: ['read:reports'] })
    expect(await subject.status('/api/me', key)).toBe(200)
    const revoked = await subject.send(`/api/keys/${record.id}`, jsonRequest('DELETE', owner.token))
    expect(revoked.status).toBe(204)
    const refused = await subject.send('/api/me', bearer(key))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ type: 'token_verification' })
    expect(storedKeys(owner.organizationId)[0]?.['revoked_at']).toBeInstanceOf(Date)
    // A fresh app (a restarted instance) reads the revocation from the store.
    expect(await app().status('/api/me', key)).toBe(401)
    expect(subject.events).toContainEqual({
      type: 'api_key.revoked',
      keyId: record.id,
      organizationId: owner.organizationId,
      actor: owner.memberId,
    })
  })

  it('revoking a key twice keeps the first revocation: revokedAt stays, one api_key.revoked event', async () => {
    const subject = app()
    const owner = await customer()
    const { record } = await issue(subject, owner, { scopes: ['read:reports'] })
    const revoke = () => subject.send(`/api/keys/${record.id}`, jsonRequest('DELETE', owner.token))
    expect((await revoke()).status).toBe(204)
    const [first] = (await (await subject.send('/api/keys', bearer(owner.token))).json()) as {
      revokedAt: string
    }[]
    await sleep(20)
    expect((await revoke()).status).toBe(204)
    const [second] = (await (await subject.send('/api/keys', bearer(owner.token))).json()) as {
      revokedAt: string
    }[]
    expect(second?.revokedAt).toBe(first?.revokedAt)
    expect(subject.events.filter((event) => event.type === 'api_key.revoked')).toHaveLength(1)
  })

  it('rotation: the new key works at once, the old one until graceSeconds, then 401; grace 0 ends it at once', async () => {
    const subject = app()
    const owner = await customer()
    const old = await issue(subject, owner, { scopes: ['read:reports'], expiresIn: 86_400 })
    expect(await subject.status('/api/reports', old.key)).toBe(200)
    const sent = Date.now()
    const rotation = await subject.send(
      `/api/keys/${old.record.id}/rotate`,
      jsonRequest('POST', owner.token, { graceSeconds: 2 })
    )
    expect(rotation.status).toBe(200)
    const renewed = (await rotation.json()) as IssuedKey
    expect(renewed.key).not.toBe(old.key)
    expect(renewed.record).toMatchObject({
      name: 'CI',
      scopes: ['read:reports'],
      expiresAt: old.record['expiresAt'],
      replaces: old.record.id,
    })
    expect(await subject.status('/api/reports', renewed.key)).toBe(200)
    expect(await subject.status('/api/reports', old.key)).toBe(200)
    expect(await app().status('/api/reports', old.key)).toBe(200) // an instance that reads it now
    // Refused once the grace period ends (2 s after the rotation was asked for, not before), here
    // and on an instance that never saw it.
    expect(
      await eventually(4_000, async () => (await subject.status('/api/reports', old.key)) === 401)
    ).toBe(true)
    expect(Date.now() - sent).toBeGreaterThanOrEqual(2000)
    expect(await app().status('/api/reports', old.key)).toBe(401)
    expect(await subject.status('/api/reports', renewed.key)).toBe(200)
    expect(subject.events).toContainEqual({
      type: 'api_key.rotated',
      keyId: old.record.id,
      newKeyId: renewed.record.id,
      organizationId: owner.organizationId,
      actor: owner.memberId,
    })

    const immediate = await subject.send(
      `/api/keys/${renewed.record.id}/rotate`,
      jsonRequest('POST', owner.token, {})
    )
    expect(immediate.status).toBe(200)
    const third = (await immediate.json()) as IssuedKey
    expect(await subject.status('/api/reports', renewed.key)).toBe(401)
    expect(await subject.status('/api/reports', third.key)).toBe(200)
  })

  it('a key rotated once cannot be rotated again (its successor is): 400, and no second successor', async () => {
    const subject = app()
    const owner = await customer()
    const old = await issue(subject, owner, { scopes: ['read:reports'] })
    const rotate = (graceSeconds: number) =>
      subject.send(
        `/api/keys/${old.record.id}/rotate`,
        jsonRequest('POST', owner.token, { graceSeconds })
      )
    expect((await rotate(60)).status).toBe(200)
    // Within its grace period the old key still works, but it has been replaced: rotating it again
    // would mint a second successor and move its end (here by a year).
    const again = await rotate(365 * 86_400)
    expect({ status: again.status, keys: storedKeys(owner.organizationId).length }).toEqual({
      status: 400,
      keys: 2,
    })
    const graceUntil = storedKeys(owner.organizationId).find(
      (document) => String(document['_id']) === old.record.id
    )?.['grace_until']
    expect((graceUntil as Date).getTime()).toBeLessThan(Date.now() + 61_000)
  })

  it('an expiry or a grace period too far ahead to be a date is a 400 that changes nothing, and every other key keeps working', async () => {
    const subject = app()
    const owner = await customer()
    const other = await customer()
    const unverified = await issue(subject, other, { scopes: ['read:reports'] })
    const create = (expiresIn: number) =>
      subject.send(
        '/api/keys',
        jsonRequest('POST', owner.token, { name: 'CI', scopes: ['read:reports'], expiresIn })
      )
    // 1e13 s is past JavaScript's last date: it used to be stored (as 1970), answered 503 and
    // take the key store's breaker down for every organization of the instance.
    const tooFar = await create(1e13)
    expect({ status: tooFar.status, body: await tooFar.json() }).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: expect.stringMatching(/^expiresIn: /) },
    })
    expect(storedKeys(owner.organizationId)).toEqual([])
    expect(await subject.status('/api/reports', unverified.key)).toBe(200)
    expect((await create(100 * 365 * 86_400)).status).toBe(201)

    const old = await issue(subject, owner, { scopes: ['read:reports'] })
    const rotation = await subject.send(
      `/api/keys/${old.record.id}/rotate`,
      jsonRequest('POST', owner.token, { graceSeconds: 1e16 })
    )
    expect({ status: rotation.status, body: await rotation.json() }).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: expect.stringMatching(/^graceSeconds: /) },
    })
    expect(storedKeys(owner.organizationId)).toHaveLength(2)
    expect(await subject.status('/api/reports', old.key)).toBe(200)
    expect(await app().status('/api/reports', old.key)).toBe(200) // not ended at once (1970)
  })

  it('an expired key is a 401 once its expiry has passed, cached or not', async () => {
    const subject = app()
    const owner = await customer()
    const created = Date.now()
    const { key } = await issue(subject, owner, { scopes: ['read:reports'], expiresIn: 2 })
    expect(await subject.status('/api/me', key)).toBe(200) // now in process memory
    expect(
      await eventually(4_000, async () => (await subject.status('/api/me', key)) === 401)
    ).toBe(true)
    expect(Date.now() - created).toBeGreaterThanOrEqual(2000)
    const refused = await subject.send('/api/me', bearer(key))
    expect({ status: refused.status, body: await refused.json() }).toMatchObject({
      status: 401,
      body: { type: 'token_verification' },
    })
    expect(await app().status('/api/me', key)).toBe(401)
  })
})

describe("4. tenancy: only the caller's organization's keys", () => {
  it("listing shows only its keys, never a hash or a key; revoking or rotating another organization's key id is a 404", async () => {
    const subject = app()
    const ours = await customer()
    const theirs = await customer()
    const first = await issue(subject, ours, { name: 'first', scopes: ['read:reports'] })
    await sleep(5) // distinct creation times: the list is newest first
    const second = await issue(subject, ours, { name: 'second', scopes: ['read:documents'] })
    const foreign = await issue(subject, theirs, { name: 'foreign', scopes: ['read:reports'] })

    for (const caller of [ours.token, second.key]) {
      const listed = await subject.send('/api/keys', bearer(caller))
      expect(listed.status).toBe(200)
      const text = await listed.text()
      const records = JSON.parse(text) as { id: string; name: string; start: string }[]
      expect(records.map(({ id, name }) => ({ id, name }))).toEqual([
        { id: second.record.id, name: 'second' },
        { id: first.record.id, name: 'first' },
      ])
      expect(records.map((record) => record.start)).toEqual([
        second.key.slice(0, 12),
        first.key.slice(0, 12),
      ])
      for (const issued of [first, second, foreign]) {
        expect(text).not.toContain(issued.key.slice(12))
        expect(text).not.toContain(sha256Hex(issued.key))
      }
      // No field named for a hash (a key's random `start` may spell the word).
      expect(text).not.toMatch(/"[^"]*hash[^"]*"\s*:/i)
    }

    const notFound = { error: 'not_found', message: 'No such API key', type: 'api_key' }
    const answer = async (response: Response) => ({
      status: response.status,
      body: await response.json(),
    })
    for (const id of [foreign.record.id, new ObjectId().toHexString(), 'not-an-id']) {
      expect(
        await answer(await subject.send(`/api/keys/${id}`, jsonRequest('DELETE', ours.token)))
      ).toEqual({
        status: 404,
        body: notFound,
      })
      expect(
        await answer(
          await subject.send(
            `/api/keys/${id}/rotate`,
            jsonRequest('POST', ours.token, { graceSeconds: 0 })
          )
        )
      ).toEqual({ status: 404, body: notFound })
    }
    // Their key is untouched: it works, and nothing was added to or changed in their organization.
    expect(await subject.status('/api/me', foreign.key)).toBe(200)
    expect(storedKeys(theirs.organizationId)).toEqual([
      expect.objectContaining({ revoked_at: null, grace_until: null }),
    ])
    // Ours too (a key of ours managing keys is held to its organization as well).
    const byKey = await subject.send(
      `/api/keys/${foreign.record.id}`,
      jsonRequest('DELETE', second.key)
    )
    expect(byKey.status).toBe(404)
    expect(await subject.status('/api/me', foreign.key)).toBe(200)
  })
})

describe('5. no write per request', () => {
  it('1,000 requests with one key: one last_used_at write, even when every request verifies the key again', async () => {
    for (const options of [{}, { ttl: 0.001 }]) {
      const subject = app(options)
      const owner = await customer()
      const { key, record } = await issue(subject, owner, { scopes: ['read:reports'] })
      const [reads, writes] = [commands('find'), commands('update')]
      const started = Date.now()
      for (let batch = 0; batch < 50; batch++) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, () => subject.status('/api/reports', key))
        )
        expect(new Set(statuses)).toEqual(new Set([200]))
      }
      await sleep(100) // the write is off the request path: let it land
      const verifications = commands('find') - reads
      expect({ options, writes: commands('update') - writes }).toEqual({ options, writes: 1 })
      // With a 1 ms ttl, the key is looked up again and again (about once per batch: 20 concurrent
      // requests share one lookup): the write still is not made again.
      if ('ttl' in options) expect(verifications).toBeGreaterThanOrEqual(10)
      else expect(verifications).toBe(1)
      const lastUsed = storedKeys(owner.organizationId)[0]?.['last_used_at'] as Date
      expect(lastUsed.getTime()).toBeGreaterThanOrEqual(started - 1000)
      expect(record['lastUsedAt']).toBeNull()
    }
  })

  it('two mounts of one app (a stytchAuth() each) verifying the same key write its last_used_at once between them', async () => {
    const subject = app({ ttl: 0.001 }) // every request verifies the key again, on either mount
    const owner = await customer()
    const { key } = await issue(subject, owner, { scopes: ['read:reports'] })
    const [reads, writes] = [commands('find'), commands('update')]
    for (let request = 0; request < 40; request++) {
      expect(await subject.status(request % 2 ? '/api/reports' : '/v2/reports', key)).toBe(200)
      await sleep(2) // past the 1 ms ttl: the next request verifies the key again
    }
    await sleep(100)
    expect(commands('find') - reads).toBe(40)
    expect(commands('update') - writes).toBe(1)
  })

  it('a failing last_used_at write never fails a request: logged at DEBUG, never naming the key', async () => {
    const subject = app({ ttl: 0.001 })
    const owner = await customer()
    const { key, record } = await issue(subject, owner, { scopes: ['read:reports'] })
    const writes = commands('update')
    wire.faults.refuseWrites(true)
    try {
      const statuses = []
      for (let request = 0; request < 30; request++)
        statuses.push(await subject.status('/api/reports', key))
      expect(new Set(statuses)).toEqual(new Set([200]))
      await sleep(100)
    } finally {
      wire.faults.refuseWrites(false)
    }
    expect(commands('update') - writes).toBe(1) // tried once, refused, not retried per request
    const logged = subject.logger.lines.filter((line) => line.includes('last_used_at'))
    expect(logged).toEqual([
      expect.stringMatching(/^debug \[ayz-auth\] last_used_at of an API key not written/),
    ])
    expect(logged[0]).toContain(record.id)
    expect(logged[0]).not.toContain(key.slice(12))
    expect(storedKeys(owner.organizationId)[0]?.['last_used_at']).toBeNull()
    expect(subject.logger.lines.filter((line) => /^(warn|error)/.test(line))).toEqual([])
  })
})

describe('(README) the key store down', () => {
  it('keys already verified keep working from memory; a key never verified is a 503 api_keys, never a 401; all work once it is back', async () => {
    const subject = app()
    const owner = await customer()
    const seen = await issue(subject, owner, { scopes: ['read:reports'] })
    const unseen = await issue(subject, owner, { scopes: ['read:reports'] })
    expect(await subject.status('/api/reports', seen.key)).toBe(200)
    await wire.faults.down()
    try {
      expect(await subject.status('/api/reports', seen.key)).toBe(200)
      const refused = await subject.send('/api/reports', bearer(unseen.key))
      expect({
        status: refused.status,
        body: await refused.json(),
        retryAfter: Number(refused.headers.get('retry-after')),
      }).toEqual({
        status: 503,
        body: {
          error: 'service_unavailable',
          message: 'API key service temporarily unavailable',
          type: 'api_keys',
        },
        retryAfter: expect.any(Number),
      })
      expect(await subject.status('/api/reports', seen.key)).toBe(200)
    } finally {
      await wire.faults.up()
    }
    expect(
      await eventually(
        5_000,
        async () => (await subject.status('/api/reports', unseen.key)) === 200
      )
    ).toBe(true)
    expect(subject.logger.lines.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringContaining('api_keys degraded'),
    ])
  })
})
