/**
 * @module
 * Entitlements from MongoDB through the official driver. Importing this module also lets
 * `STYTCH_MONGODB_URI` (or `MONGODB_URI`) configure it from the environment.
 */
import { MongoClient, ObjectId, type Document } from 'mongodb'
import {
  entitlementSchema,
  type EntitlementSchemaOverrides,
  type EntitlementSource,
} from '../src/entitlements/entitlement-source.ts'
import {
  DEFAULT_DATABASE,
  databaseInUri,
  memberPipeline,
  membersOf,
  organizationQuery,
} from '../src/entitlements/queries.ts'
import { closedByCloseAuth, registerEntitlementBackend } from '../src/runtime/backends.ts'

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

const DEFAULT_QUERY_TIMEOUT_MS = 1000
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
  const options: MongoEntitlementsOptions =
    typeof clientOrUriOrOptions === 'string'
      ? { uri: clientOrUriOrOptions }
      : clientOrUriOrOptions instanceof MongoClient
        ? { client: clientOrUriOrOptions }
        : clientOrUriOrOptions
  const client = options.client ?? sharedClient(options.uri)
  const db = client.db(
    options.db ??
      (options.uri ? databaseInUri(options.uri) : client.options.dbName) ??
      DEFAULT_DATABASE
  )
  const schema = entitlementSchema(options.schema)
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  const limits = (signal = AbortSignal.timeout(Math.ceil(timeoutMs))) => ({
    signal,
    maxTimeMS: timeoutMs,
  })
  return {
    schema,
    name: 'mongodb',
    timeoutMs,
    async findOrganization(stytchOrganizationId, signal) {
      const { filter, projection } = organizationQuery(schema, stytchOrganizationId)
      const bounds = limits(signal)
      return reconnecting(client, bounds.signal, () =>
        db.collection(schema.collections.organizations).findOne(filter, { projection, ...bounds })
      )
    },
    async findMember(lookup, signal) {
      const pipeline = memberPipeline(schema, lookup, (hex) => new ObjectId(hex)) as Document[]
      const bounds = limits(signal)
      return membersOf(
        await reconnecting(client, bounds.signal, () =>
          db.collection(schema.collections.users).aggregate(pipeline, bounds).toArray()
        )
      )
    },
  }
}

/**
 * Runs `run`, and once more after connecting the client again if the driver had closed its
 * topology: the driver closes a client whose first connection fails (MongoDB down when the app
 * starts) and then answers every operation with "Topology is closed", for good. A client its owner
 * closed fails differently (`MongoNotConnectedError`) and is left alone. Waiting for the new
 * connection is bounded by the query's signal.
 */
async function reconnecting<T>(
  client: MongoClient,
  signal: AbortSignal,
  run: () => Promise<T>
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'MongoTopologyClosedError') throw error
    await untilAborted(client.connect(), signal)
    return run()
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

function sharedClient(uri: string | undefined): MongoClient {
  if (!uri) throw new TypeError('mongoEntitlements() needs a client, a URI, or options with a uri')
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
      },
    })
    client = created
  }
  return client
}

registerEntitlementBackend('mongodb', (config) => {
  const mongodb = config.mongodb
  if (!mongodb) throw new TypeError('no MongoDB URI configured')
  return mongoEntitlements({ uri: mongodb.uri, ...(mongodb.db ? { db: mongodb.db } : {}) })
})
