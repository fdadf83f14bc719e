/**
 * What only the MongoDB store does: share the entitlement source's client for the same URI (one
 * pool, closed by `closeAuth()`), give up on a slow server within its timeout, and refuse a
 * damaged document. Alone in its file, so its count of open sockets sees no other test's.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { mongoApiKeys, mongoEntitlements } from '../../adapters/mongodb.ts'
import { generateApiKey, hashOfApiKey } from '../../src/api-keys/api-key-format.ts'
import { closeOpened } from '../../src/runtime/backends.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'

let wire: MongoWireServer
beforeAll(async () => {
  wire = await startMongoWireServer()
})
beforeEach(() => {
  wire.store.clear()
  wire.faults.slow(0)
})
afterAll(async () => {
  await closeOpened()
  await wire.close()
})

const tcpSockets = () =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length
async function settledAt(expected: number): Promise<number> {
  const until = Date.now() + 2000
  while (tcpSockets() !== expected && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 20))
  return tcpSockets()
}

it("shares the entitlement source's client for the same URI, and closeAuth() closes it", async () => {
  const before = tcpSockets()
  expect(await mongoEntitlements(wire.uri).findOrganization('organization-test-1')).toBeNull()
  const withEntitlements = tcpSockets()
  expect(withEntitlements).toBeGreaterThan(before)
  expect(await mongoApiKeys(wire.uri).listByOrganization('organization-test-1')).toEqual([])
  expect(tcpSockets()).toBe(withEntitlements)
  // What closeAuth() runs for adapters: every client opened from a URI is closed.
  await closeOpened()
  expect(await settledAt(before)).toBe(before)
})

it('reads api_keys in the database of the URI', async () => {
  const store = mongoApiKeys({ uri: wire.uri.replace('/soulmates?', '/tenant?') })
  await store.listByOrganization('organization-test-1')
  expect(wire.store.commandLog).toEqual([
    { via: 'wire', db: 'tenant', command: 'find', collection: 'api_keys' },
  ])
})

it('gives up on a server slower than queryTimeoutMs', async () => {
  const store = mongoApiKeys({ uri: wire.uri, queryTimeoutMs: 150 })
  await store.listByOrganization('organization-test-1')
  wire.faults.slow(1000)
  const started = performance.now()
  await expect(store.findByHash(await hashOfApiKey(generateApiKey('live')))).rejects.toThrow()
  expect(performance.now() - started).toBeLessThan(800)
})

it('refuses a damaged document instead of reading a key from it', async () => {
  const keyHash = await hashOfApiKey(generateApiKey('live'))
  const _id = wire.store.collection('soulmates', 'api_keys').insertOne({
    key_hash: keyHash,
    start: 'ak_live_abcd',
    organization_id: 'organization-test-1',
    created_by: 'member-test-1',
    name: 'CI',
    scopes: 'everything',
    created_at: new Date(),
  })
  await expect(mongoApiKeys(wire.uri).findByHash(keyHash)).rejects.toThrow(
    `api_keys document ${String(_id)} is malformed: scopes`
  )
})
