/**
 * The entitlement backends the behavioural suite runs against: the mongodb driver over the wire
 * fixture, the Data API adapter over its fixture (same store), and a real MongoDB when
 * `MONGODB_TEST_URI` is set.
 */
import { MongoClient, type Db } from 'mongodb'
import { dataApiEntitlements } from '../../adapters/data-api.ts'
import { mongoEntitlements } from '../../adapters/mongodb.ts'
import type { EntitlementSource } from '../../src/index.ts'
import {
  startDataApiServer,
  startMongoWireServer,
  type DataApiServer,
  type MongoWireServer,
} from '../fixtures/mongo/index.ts'

/** One backend, as the suite drives it. */
export interface Backend {
  readonly name: string
  /** Where test data is written (through the real driver). */
  readonly db: Db
  /** A fresh source, as an app would configure it. */
  source(): EntitlementSource
  /** The collections the library queried since the last reset, one entry per round trip. */
  queries(): { collection: string; command: string }[]
  resetQueries(): void
  /** How an app reaches it by environment variables (fixtures only). */
  readonly uri?: string
  readonly dataApi?: { readonly url: string; readonly apiKey: string }
  /** Fault switches, where the backend can be taken down. */
  readonly faults?: { down(): Promise<void>; up(): Promise<void>; slow(ms: number): void }
  close(): Promise<void>
}

const DB = 'soulmates'

/** The fixture-backed backends: the mongodb driver adapter and the Data API adapter. */
export async function fixtureBackends(): Promise<Backend[]> {
  const wire: MongoWireServer = await startMongoWireServer({ dbName: DB })
  const dataApi: DataApiServer = await startDataApiServer({ store: wire.store })
  const seeding = await new MongoClient(wire.uri).connect()
  const db = seeding.db(DB)
  const logOf = (via: 'wire' | 'data-api') => () =>
    wire.store.commandLog
      .filter((entry) => entry.via === via && ['find', 'aggregate'].includes(entry.command))
      .map(({ collection, command }) => ({ collection, command }))
  // Seeding goes through the driver on the wire too: only the adapter's queries count.
  const libraryClient = new MongoClient(wire.uri, { serverSelectionTimeoutMS: 1000 })
  const baseline = { wire: 0, dataApi: 0 }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await Promise.all([seeding.close(), libraryClient.close()])
    await Promise.all([dataApi.close(), wire.close()])
  }
  return [
    {
      name: 'mongodb driver + wire-protocol server',
      db,
      source: () => mongoEntitlements({ client: libraryClient, db: DB, queryTimeoutMs: 1500 }),
      queries: () => logOf('wire')().slice(baseline.wire),
      resetQueries: () => {
        baseline.wire = logOf('wire')().length
      },
      faults: wire.faults,
      uri: wire.uri,
      close,
    },
    {
      name: 'Data API adapter + Data API server',
      db,
      source: () =>
        dataApiEntitlements({
          url: dataApi.url,
          apiKey: dataApi.apiKey,
          database: DB,
          timeoutMs: 1500,
        }),
      queries: () => logOf('data-api')().slice(baseline.dataApi),
      resetQueries: () => {
        baseline.dataApi = logOf('data-api')().length
      },
      faults: dataApi.faults,
      dataApi: { url: dataApi.url, apiKey: dataApi.apiKey },
      close,
    },
  ]
}

/** A backend on a real MongoDB (`MONGODB_TEST_URI`), counting round trips by command monitoring. */
export async function realMongoBackend(uri: string): Promise<Backend> {
  const database = `ayz_auth_test_${Date.now()}`
  const seeding = await new MongoClient(uri).connect()
  const library = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 2000 })
  const seen: { collection: string; command: string }[] = []
  library.on('commandStarted', (event) => {
    if (event.commandName === 'find' || event.commandName === 'aggregate') {
      seen.push({
        collection: String(event.command[event.commandName]),
        command: event.commandName,
      })
    }
  })
  return {
    name: 'mongodb driver + real MongoDB (MONGODB_TEST_URI)',
    db: seeding.db(database),
    source: () => mongoEntitlements({ client: library, db: database }),
    queries: () => [...seen],
    resetQueries: () => {
      seen.length = 0
    },
    close: async () => {
      await seeding.db(database).dropDatabase()
      await Promise.all([seeding.close(), library.close()])
    },
  }
}
