/**
 * @module
 * An {@link ApiKeyStore} in process memory, for tests and local development: documents kept as a
 * database would keep them (snake_case, dates as `Date`) and read back through the same schema,
 * with counters so a test can assert how often the library reads and writes.
 */
import { apiKeyDocumentOf, apiKeyFieldsOf, newestFirst, storedApiKeyOf } from './api-key-record.ts'
import type { ApiKeyStore } from './api-key-store.ts'

/** A memory store, with what tests inspect. */
export interface MemoryApiKeyStore extends ApiKeyStore {
  /** Lookups served so far: `findByHash`, `findById` and `listByOrganization` calls. */
  readonly reads: number
  /** Writes applied so far: `insert`, `update` and `touchLastUsed` calls. */
  readonly writes: number
  /** Copies of the stored documents, oldest first, exactly as stored. */
  storedDocuments(): Record<string, unknown>[]
}

/**
 * A fresh, empty store in process memory. Like the unique index a database store needs on
 * `key_hash`, it refuses a second key with the same hash.
 *
 * @example
 * ```ts
 * import { memoryApiKeys } from 'ayz-auth/testing'
 * const apiKeyStore = memoryApiKeys()
 * app.use('*', stytchAuth({ acceptTokens: ['api_key'], apiKeyStore }))
 * expect(apiKeyStore.reads).toBe(1)
 * ```
 */
export function memoryApiKeys(): MemoryApiKeyStore {
  const documents = new Map<string, Record<string, unknown>>()
  const idsByHash = new Map<string, string>()
  const counts = { reads: 0, writes: 0 }
  // Each call checks its signal first, then counts: an aborted call neither reads nor writes.
  const count = (kind: keyof typeof counts, signal: AbortSignal | undefined) => {
    signal?.throwIfAborted()
    counts[kind]++
  }
  const owned = (id: string, organizationId: string) => {
    const document = documents.get(id)
    return document?.['organization_id'] === organizationId ? document : undefined
  }

  return {
    name: 'memory',
    get reads() {
      return counts.reads
    },
    get writes() {
      return counts.writes
    },
    storedDocuments: () => [...documents.values()].map((document) => structuredClone(document)),
    async insert(key, signal) {
      count('writes', signal)
      if (idsByHash.has(key.keyHash)) throw new Error('an API key with this key_hash exists')
      const id = randomObjectIdHex()
      const document = { _id: id, ...structuredClone(apiKeyDocumentOf(key, (hex) => hex)) }
      documents.set(id, document)
      idsByHash.set(key.keyHash, id)
      return storedApiKeyOf(document).record
    },
    async findByHash(keyHash, signal) {
      count('reads', signal)
      const document = documents.get(idsByHash.get(keyHash) ?? '')
      return document ? storedApiKeyOf(document) : null
    },
    async findById(id, organizationId, signal) {
      count('reads', signal)
      const document = owned(id, organizationId)
      return document ? storedApiKeyOf(document) : null
    },
    async listByOrganization(organizationId, signal) {
      count('reads', signal)
      const own = [...documents.values()].filter(
        (document) => document['organization_id'] === organizationId
      )
      return newestFirst(own.map((document) => storedApiKeyOf(document).record))
    },
    async update(id, organizationId, changes, signal) {
      count('writes', signal)
      const document = owned(id, organizationId)
      if (document) Object.assign(document, structuredClone(apiKeyFieldsOf(changes)))
      return document !== undefined
    },
    async touchLastUsed(id, at, signal) {
      count('writes', signal)
      const document = documents.get(id)
      const last = document?.['last_used_at']
      if (document && !(last instanceof Date && last >= at)) document['last_used_at'] = new Date(at)
    },
  }
}

/** 24 random hex digits: the shape of the ids database stores give. */
function randomObjectIdHex(): string {
  let hex = ''
  for (const byte of crypto.getRandomValues(new Uint8Array(12)))
    hex += byte.toString(16).padStart(2, '0')
  return hex
}
