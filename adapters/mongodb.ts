/**
 * @module
 * Entitlements and organization API keys from MongoDB through the official driver. Importing this
 * module also lets `STYTCH_MONGODB_URI` (or `MONGODB_URI`) configure it from the environment.
 */
import { MongoClient, ObjectId, type Document, type Filter } from 'mongodb'
import {
  apiKeyDocumentOf,
  apiKeyFieldsOf,
  newestFirst,
  storedApiKeyOf,
} from '../src/api-keys/api-key-record.ts'
import type { ApiKeyStore } from '../src/api-keys/api-key-store.ts'
import {
  entitlementSchema,
  type EntitlementSchemaOverrides,
  type EntitlementSource,
  type MemberLookup,
} from '../src/entitlements/entitlement-source.ts'
import {
  DEFAULT_DATABASE,
  databaseInUri,
  memberPipeline,
  membersOf,
  organizationQuery,
} from '../src/entitlements/queries.ts'
import { objectIdHex } from '../src/entitlements/records.ts'
import {
  closedByCloseAuth,
  registerApiKeyBackend,
  registerEntitlementBackend,
} from '../src/runtime/backends.ts'

/** Options of {@link mongoEntitlements}. */
export interface MongoEntitlementsOptions {
  /** A ready `MongoClient` (its own timeouts apply to connecting). */
  readonly client?: MongoClient
  /** A connection string, when no client is given. */
  readonly uri?: string
  /** The database: default `MONGODB_DB`'s value when configured by env, else the URI's, else `soulmates`. */
  readonly db?: string
  /** Other collection or field names than the original's. */
  readonly schema?: EntitlementSchemaOverrides
  /** Milliseconds a query may take before the source counts as unreachable. Default 1000. */
  readonly queryTimeoutMs?: number
}

/** How long the server and the library give a read, and the signal that cancels it (an app's client). */
type ReadOptions = { readonly maxTimeMS: number; readonly signal?: AbortSignal }

/** Options of {@link mongoApiKeys}. */
export interface MongoApiKeysOptions {
  /** A ready `MongoClient` (its own timeouts apply to connecting). */
  readonly client?: MongoClient
  /** A connection string, when no client is given; the entitlement source's client is shared. */
  readonly uri?: string
  /** The database: default the URI's, else the client's, else `soulmates` (as for entitlements). */
  readonly db?: string
  /** Default `api_keys`. */
  readonly collection?: string
  /** Milliseconds a query or write may take before the store counts as unreachable. Default 1000. */
  readonly queryTimeoutMs?: number
}

const DEFAULT_QUERY_TIMEOUT_MS = 1000
const DEFAULT_API_KEYS_COLLECTION = 'api_keys'
const clients = new Map<string, MongoClient>()

/**
 * An {@link EntitlementSource} over MongoDB. Reads only (nothing is ever written), with
 * projections, one connection pool per URI in the process, and short timeouts so an outage is
 * fast: server selection and each query give up after about a second.
 *
 * Create these indexes: `organizations.stytch_org_id`, `users.stytch_member_id` (`_id` covers
 * teams).
 *
 * @example
 * ```ts
 * import { mongoEntitlements } from 'ayz-auth/mongodb'
 * app.use('*', stytchAuth({ entitlements: mongoEntitlements(process.env.MONGODB_URI!) }))
 * ```
 */
export function mongoEntitlements(
  clientOrUriOrOptions: MongoClient | string | MongoEntitlementsOptions
): EntitlementSource {
  const options = optionsOf<MongoEntitlementsOptions>(clientOrUriOrOptions)
  const client = options.client ?? sharedClient(options.uri, 'mongoEntitlements()')
  const db = client.db(databaseOf(client, options))
  const schema = entitlementSchema(options.schema)
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  // A read carries `maxTimeMS`. The library's own client also bounds selection, connecting and the
  // socket (1, 2, 5 s), so its reads ask for no signal (making one costs more CPU than the read's
  // own JavaScript); an app's client may not, so its reads take the library's, which cancels them.
  const read = <T>(run: (options: ReadOptions) => Promise<T>, signal?: AbortSignal) =>
    reconnecting(
      client,
      () => signal ?? AbortSignal.timeout(timeoutMs),
      () => run(signal ? { maxTimeMS: timeoutMs, signal } : { maxTimeMS: timeoutMs })
    )
  const organizations = db.collection(schema.collections.organizations)
  const users = db.collection(schema.collections.users)
  const pipelineOf = memberPipeline(schema, (hex) => new ObjectId(hex))
  const findOrganization = (stytchOrganizationId: string, signal?: AbortSignal) => {
    const { filter, projection } = organizationQuery(schema, stytchOrganizationId)
    return read((bounds) => organizations.findOne(filter, { projection, ...bounds }), signal)
  }
  const findMember = (lookup: MemberLookup, signal?: AbortSignal) => {
    const pipeline = pipelineOf(lookup) as Document[]
    return read((bounds) => users.aggregate(pipeline, bounds).toArray(), signal).then(membersOf)
  }
  const listens = options.client !== undefined
  return {
    schema,
    name: 'mongodb',
    timeoutMs,
    // Declared without `signal`, a method is given none by the library.
    findOrganization: listens ? findOrganization : (id) => findOrganization(id),
    findMember: listens ? findMember : (lookup) => findMember(lookup),
  }
}

/**
 * An {@link ApiKeyStore} over MongoDB's `api_keys` collection. A URI shares the client (and its
 * pool) of the entitlement source with the same URI, and `closeAuth()` closes it; a client passed
 * in is yours to close. Keys are found by `key_hash` and listed by `organization_id`; every lookup
 * by id also matches the organization, so another organization's key is never read or changed.
 * `touchLastUsed` writes with `$max`, so `last_used_at` only moves forward.
 *
 * Nothing creates indexes for you (as for entitlements: the app's database user may lack the
 * right, and an index build belongs to a migration, not to a request). Create these:
 *
 * ```js
 * db.api_keys.createIndex({ key_hash: 1 }, { unique: true }) // every verification
 * db.api_keys.createIndex({ organization_id: 1 })            // listing an organization's keys
 * ```
 *
 * @example
 * ```ts
 * import { mongoApiKeys } from 'ayz-auth/mongodb'
 * app.use('/api/*', stytchAuth({ acceptTokens: ['session', 'api_key'], apiKeyStore: mongoApiKeys(process.env.MONGODB_URI!) }))
 * ```
 */
export function mongoApiKeys(
  clientOrUriOrOptions: MongoClient | string | MongoApiKeysOptions
): ApiKeyStore {
  const options = optionsOf<MongoApiKeysOptions>(clientOrUriOrOptions)
  const client = options.client ?? sharedClient(options.uri, 'mongoApiKeys()')
  const keys = client
    .db(databaseOf(client, options))
    .collection(options.collection ?? DEFAULT_API_KEYS_COLLECTION)
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  const limits = limitsWithin(timeoutMs)
  const findOne = async (filter: Filter<Document>, signal?: AbortSignal) => {
    const bounds = limits(signal)
    const document = await reconnecting(
      client,
      () => bounds.signal,
      () => keys.findOne(filter, bounds)
    )
    return document && storedApiKeyOf(document)
  }
  // The driver takes no signal on writes: the wait for one is bounded instead.
  const write = <T>(signal: AbortSignal | undefined, run: (maxTimeMS: number) => Promise<T>) => {
    const bounds = limits(signal)
    return reconnecting(
      client,
      () => bounds.signal,
      () => untilAborted(run(bounds.maxTimeMS), bounds.signal)
    )
  }
  return {
    name: 'mongodb',
    timeoutMs,
    async insert(key, signal) {
      const document = apiKeyDocumentOf(key, (hex) => new ObjectId(hex))
      const { insertedId } = await write(signal, (maxTimeMS) =>
        keys.insertOne({ ...document }, { maxTimeMS })
      )
      return storedApiKeyOf({ ...document, _id: insertedId }).record
    },
    findByHash: (keyHash, signal) => findOne({ key_hash: keyHash }, signal),
    async findById(id, organizationId, signal) {
      const _id = objectIdOf(id)
      return _id ? findOne({ _id, organization_id: organizationId }, signal) : null
    },
    async listByOrganization(organizationId, signal) {
      const bounds = limits(signal)
      const documents = await reconnecting(
        client,
        () => bounds.signal,
        () => keys.find({ organization_id: organizationId }, bounds).toArray()
      )
      return newestFirst(documents.map((document) => storedApiKeyOf(document).record))
    },
    async update(id, organizationId, changes, signal) {
      const _id = objectIdOf(id)
      if (!_id) return false
      const { matchedCount } = await write(signal, (maxTimeMS) =>
        keys.updateOne(
          { _id, organization_id: organizationId },
          { $set: apiKeyFieldsOf(changes) },
          { maxTimeMS }
        )
      )
      return matchedCount > 0
    },
    async touchLastUsed(id, at, signal) {
      const _id = objectIdOf(id)
      if (_id)
        await write(signal, (maxTimeMS) =>
          keys.updateOne({ _id }, { $max: { last_used_at: at } }, { maxTimeMS })
        )
    },
  }
}

/** An ObjectId of `id` when it is 24 hex digits; else `undefined` (no document has that id). */
function objectIdOf(id: string): ObjectId | undefined {
  const hex = objectIdHex(id)
  return hex === undefined ? undefined : new ObjectId(hex)
}

/** Options from the one argument the factories take: a client, a URI, or options. */
function optionsOf<Options extends { client?: MongoClient; uri?: string }>(
  clientOrUriOrOptions: MongoClient | string | Options
): Options {
  return typeof clientOrUriOrOptions === 'string'
    ? ({ uri: clientOrUriOrOptions } as Options)
    : clientOrUriOrOptions instanceof MongoClient
      ? ({ client: clientOrUriOrOptions } as Options)
      : clientOrUriOrOptions
}

/** The database named in the options, else in the URI, else the client's, else the original's. */
function databaseOf(client: MongoClient, options: { uri?: string; db?: string }): string {
  return (
    options.db ??
    (options.uri ? databaseInUri(options.uri) : client.options.dbName) ??
    DEFAULT_DATABASE
  )
}

/** A call's bounds: the caller's signal, else a timeout, and the same limit for the server. */
function limitsWithin(timeoutMs: number) {
  return (signal = AbortSignal.timeout(Math.ceil(timeoutMs))) => ({
    signal,
    maxTimeMS: timeoutMs,
  })
}

/**
 * Runs `run`, and once more after connecting the client again if the driver had closed its
 * topology: the driver closes a client whose first connection fails (MongoDB down when the app
 * starts) and then answers every operation with "Topology is closed", for good. A client its owner
 * closed fails differently (`MongoNotConnectedError`) and is left alone. Waiting for the new
 * connection is bounded by the signal `signalOf` gives (asked for only then).
 */
function reconnecting<T>(
  client: MongoClient,
  signalOf: () => AbortSignal,
  run: () => Promise<T>
): Promise<T> {
  return run().catch((error: unknown) => {
    if ((error as { name?: unknown } | null)?.name !== 'MongoTopologyClosedError') throw error
    return untilAborted(client.connect(), signalOf()).then(run)
  })
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

/** The one client of `uri` in the process, opened on first use and closed by `closeAuth()`. */
function sharedClient(uri: string | undefined, factory: string): MongoClient {
  if (!uri) throw new TypeError(`${factory} needs a client, a URI, or options with a uri`)
  let client = clients.get(uri)
  if (!client) {
    const created = new MongoClient(uri, {
      serverSelectionTimeoutMS: 1000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 5000,
    })
    clients.set(uri, created)
    closedByCloseAuth({
      close: async () => {
        clients.delete(uri)
        await created.close()
        // The driver destroys its sockets as it resolves; their handles go in the loop's next turn.
        await new Promise((resolve) => setTimeout(resolve, 0))
      },
    })
    client = created
  }
  return client
}

registerEntitlementBackend('mongodb', (config, schema) => {
  const mongodb = config.mongodb
  if (!mongodb) throw new TypeError('no MongoDB URI configured')
  return mongoEntitlements({
    uri: mongodb.uri,
    ...(mongodb.db ? { db: mongodb.db } : {}),
    ...(schema ? { schema } : {}),
  })
})

registerApiKeyBackend('mongodb', (config) => {
  const mongodb = config.mongodb
  if (!mongodb) throw new TypeError('no MongoDB URI configured')
  return mongoApiKeys({ uri: mongodb.uri, ...(mongodb.db ? { db: mongodb.db } : {}) })
})
