/**
 * One contract, three stores: process memory, MongoDB through the real driver (over the
 * wire-protocol test server) and the Atlas Data API protocol (over its test server, on the same
 * documents). Reads and writes are counted where they land, and stored documents are inspected
 * raw, as the database would hold them.
 */
import { EJSON } from 'bson'
import { MongoClient, ObjectId } from 'mongodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dataApiApiKeys } from '../../adapters/data-api.ts'
import { mongoApiKeys } from '../../adapters/mongodb.ts'
import { generateApiKey, hashOfApiKey } from '../../src/api-keys/api-key-format.ts'
import {
  apiKeyUsability,
  storableApiKey,
  type ApiKeyRecord,
  type NewApiKeyDetails,
} from '../../src/api-keys/api-key-record.ts'
import type { ApiKeyStore } from '../../src/api-keys/api-key-store.ts'
import { memoryApiKeys, type MemoryApiKeyStore } from '../../src/api-keys/memory-api-keys.ts'
import {
  startDataApiServer,
  startMongoWireServer,
  type DataApiServer,
  type MongoWireServer,
} from '../fixtures/mongo/index.ts'

const DB = 'soulmates'
const ORGANIZATION = 'organization-test-acme'
const OTHER_ORGANIZATION = 'organization-test-globex'
const FIELDS = [
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
]

let wire: MongoWireServer
let dataApi: DataApiServer
let client: MongoClient

beforeAll(async () => {
  wire = await startMongoWireServer({ dbName: DB })
  dataApi = await startDataApiServer({ store: wire.store })
  client = new MongoClient(wire.uri, { serverSelectionTimeoutMS: 1000 })
})
afterAll(async () => {
  await client.close()
  await Promise.all([wire.close(), dataApi.close()])
})

/** A store under test, with its reads and writes counted and its documents seen where they are kept. */
interface StoreUnderTest {
  readonly store: ApiKeyStore
  reads(): number
  writes(): number
  storedDocuments(): Record<string, unknown>[]
}

/** Counts of one kind of command on `api_keys` that reached the fixture through `via`. */
const fixtureCount = (via: 'wire' | 'data-api', commands: string[]) => () =>
  wire.store.commandLog.filter(
    (entry) =>
      entry.via === via && entry.collection === 'api_keys' && commands.includes(entry.command)
  ).length
const fixtureDocuments = () => wire.store.collection(DB, 'api_keys').find()

const stores: [string, () => StoreUnderTest][] = [
  [
    'memoryApiKeys',
    () => {
      const store: MemoryApiKeyStore = memoryApiKeys()
      return {
        store,
        reads: () => store.reads,
        writes: () => store.writes,
        storedDocuments: () => store.storedDocuments(),
      }
    },
  ],
  [
    'mongoApiKeys (mongodb driver, wire-protocol server)',
    () => ({
      store: mongoApiKeys({ client, db: DB }),
      reads: fixtureCount('wire', ['find']),
      writes: fixtureCount('wire', ['insert', 'update']),
      storedDocuments: fixtureDocuments,
    }),
  ],
  [
    'dataApiApiKeys (Data API server)',
    () => ({
      store: dataApiApiKeys({ url: dataApi.url, apiKey: dataApi.apiKey, database: DB }),
      reads: fixtureCount('data-api', ['find']),
      writes: fixtureCount('data-api', ['insert', 'update']),
      storedDocuments: fixtureDocuments,
    }),
  ],
]

const createdAt = new Date('2026-02-03T04:05:06.789Z')
const later = (seconds: number) => new Date(createdAt.getTime() + seconds * 1000)

describe.each(stores)('%s', (_name, open) => {
  let subject: StoreUnderTest
  let store: ApiKeyStore
  beforeEach(() => {
    wire.store.clear()
    subject = open()
    store = subject.store
  })

  /** Creates a key as `createApiKey` will: the key itself stays here, the store gets its hash. */
  async function created(details: Partial<NewApiKeyDetails> = {}, at = createdAt) {
    const key = generateApiKey('live')
    const storable = await storableApiKey(
      key,
      {
        organizationId: ORGANIZATION,
        createdBy: 'member-test-alice',
        name: 'CI',
        scopes: ['read:reports'],
        expiresAt: later(90 * 86400),
        replaces: null,
        ...details,
      },
      at
    )
    return { key, keyHash: storable.keyHash, record: await store.insert(storable) }
  }

  it('inserts a key and finds it by its hash, in one read each', async () => {
    const { key, keyHash, record } = await created()
    expect(record).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      start: key.slice(0, 12),
      organizationId: ORGANIZATION,
      createdBy: 'member-test-alice',
      name: 'CI',
      scopes: ['read:reports'],
      createdAt,
      expiresAt: later(90 * 86400),
      revokedAt: null,
      lastUsedAt: null,
      replaces: null,
      graceUntil: null,
    } satisfies ApiKeyRecord)
    expect(subject.writes()).toBe(1)
    expect(await store.findByHash(keyHash)).toEqual({ keyHash, record })
    expect(await store.findByHash(await hashOfApiKey(generateApiKey('live')))).toBeNull()
    expect(subject.reads()).toBe(2)
  })

  it("lists an organization's keys newest first, never another organization's, never a hash", async () => {
    const first = await created({ name: 'first' }, later(1))
    const theirs = await created({ organizationId: OTHER_ORGANIZATION, name: 'theirs' }, later(2))
    const second = await created({ name: 'second' }, later(3))
    const listed = await store.listByOrganization(ORGANIZATION)
    expect(listed).toEqual([second.record, first.record])
    expect(JSON.stringify(listed)).not.toMatch(
      new RegExp(`${first.keyHash}|${second.keyHash}|keyHash|key_hash`)
    )
    expect(await store.listByOrganization(OTHER_ORGANIZATION)).toEqual([theirs.record])
    expect(await store.listByOrganization('organization-test-nobody')).toEqual([])
    expect(subject.reads()).toBe(3)
  })

  it('revokes a key of its organization only: another organization cannot, nor find it by id', async () => {
    const { keyHash, record } = await created()
    const revokedAt = later(60)
    expect(await store.findById(record.id, OTHER_ORGANIZATION)).toBeNull()
    expect(await store.update(record.id, OTHER_ORGANIZATION, { revokedAt })).toBe(false)
    expect((await store.findByHash(keyHash))?.record.revokedAt).toBeNull()

    expect(await store.update(record.id, ORGANIZATION, { revokedAt })).toBe(true)
    const revoked = await store.findByHash(keyHash)
    expect(revoked?.record).toEqual({ ...record, revokedAt })
    expect(apiKeyUsability(revoked!.record, later(61))).toEqual({
      usable: false,
      reason: 'revoked',
    })
    expect(await store.findById(record.id, ORGANIZATION)).toEqual(revoked)
  })

  it('ends a rotated-out key at its grace period, and links the new key to it', async () => {
    const old = await created()
    const graceUntil = later(3600)
    expect(await store.update(old.record.id, ORGANIZATION, { graceUntil })).toBe(true)
    const replacement = await created({ replaces: old.record.id }, later(1))
    expect(replacement.record.replaces).toBe(old.record.id)
    expect((await store.findById(replacement.record.id, ORGANIZATION))?.record.replaces).toBe(
      old.record.id
    )
    const rotated = (await store.findByHash(old.keyHash))!.record
    expect(rotated.graceUntil).toEqual(graceUntil)
    expect(apiKeyUsability(rotated, later(60))).toEqual({ usable: true, until: graceUntil })
    expect(apiKeyUsability(rotated, graceUntil)).toEqual({ usable: false, reason: 'rotated' })
  })

  it('moves last_used_at forward only', async () => {
    const { keyHash, record } = await created()
    const lastUsed = async () => (await store.findByHash(keyHash))?.record.lastUsedAt
    await store.touchLastUsed(record.id, later(120))
    expect(await lastUsed()).toEqual(later(120))
    await store.touchLastUsed(record.id, later(60))
    expect(await lastUsed()).toEqual(later(120))
    await store.touchLastUsed(record.id, later(180))
    expect(await lastUsed()).toEqual(later(180))
    expect(subject.writes()).toBe(4)
  })

  it('treats an id that is no stored id as unknown', async () => {
    const { record } = await created()
    for (const id of ['not-an-id', new ObjectId().toHexString(), `${record.id}0`]) {
      expect(await store.findById(id, ORGANIZATION)).toBeNull()
      expect(await store.update(id, ORGANIZATION, { revokedAt: later(1) })).toBe(false)
      await store.touchLastUsed(id, later(1))
    }
    expect((await store.findById(record.id, ORGANIZATION))?.record).toEqual(record)
  })

  it('stores no key and nothing of its random part beyond the start, and dates as dates', async () => {
    const { key, keyHash, record } = await created()
    const [document] = subject.storedDocuments()
    expect(Object.keys(document ?? {}).sort()).toEqual([...FIELDS].sort())
    expect(document).toMatchObject({
      key_hash: keyHash,
      start: key.slice(0, 12),
      created_at: createdAt,
      expires_at: later(90 * 86400),
    })
    expect(document?.['created_at']).toBeInstanceOf(Date)
    const raw = EJSON.stringify(document ?? {}, { relaxed: false })
    const randomPart = key.slice(8, 40)
    // Every 10 characters of it (shorter windows turn up in a document this size by chance).
    const windows = Array.from({ length: randomPart.length - 9 }, (_, at) =>
      randomPart.slice(at, at + 10)
    )
    expect(windows.filter((window) => raw.includes(window))).toEqual([])
    expect(raw).toContain(record.id)
  })
})
