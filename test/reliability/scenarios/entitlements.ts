/**
 * Fault-matrix rows of the entitlement sources: the MongoDB wire server down, slow, dropping
 * connections or holding malformed documents, and the Data API server down.
 */
import { expect } from 'vitest'
import type { EntitlementSource } from '../../../src/index.ts'
import type { MongoWireServer } from '../../fixtures/mongo/index.ts'
import type { HandlerLedger } from '../ledger.ts'
import { bearer } from '../recording-app.ts'
import type { World } from '../world.ts'
import { NO_FAULT, rowApp, warm, type Scenario } from './scenario.ts'

/** Milliseconds the driver may take to reach the server again once it is back. */
const MONGO_RECOVERY_MS = 5000

function wireOf(world: World): MongoWireServer {
  if (!world.mongo) throw new Error('this row needs startWorld({ mongo: true })')
  return world.mongo
}

/** A row app with `source`, and a customer entitled to the guarded route whose organization is not cached. */
async function entitledApp(
  world: World,
  ledger: HandlerLedger,
  label: string,
  source: EntitlementSource
) {
  const row = rowApp(world, ledger, label, { entitlements: source })
  const customer = await world.customer(ledger)
  return { ...row, customer }
}

/** A fault of the wire server, switched on after the app's client has connected (mid-run). */
interface MongoFault {
  inject(mongo: MongoWireServer): Promise<void> | void
  remove(mongo: MongoWireServer): Promise<void> | void
}

function mongoFault(label: string, fault: MongoFault, queryTimeoutMs?: number): Scenario {
  return async (world, ledger) => {
    const mongo = wireOf(world)
    const { app, customer } = await entitledApp(
      world,
      ledger,
      label,
      world.mongoSource(queryTimeoutMs)
    )
    await warm(app, (await world.customer(ledger)).token, '/api/entitled')
    return {
      app,
      credentials: { 'session token': customer.token, 'entitlement guard': customer.token },
      inject: async () => fault.inject(mongo),
      remove: async () => fault.remove(mongo),
      recoveryMs: MONGO_RECOVERY_MS,
    }
  }
}

/** MongoDB is down before the app's client ever connected. */
const mongoDownAtStart: Scenario = async (world, ledger) => {
  const mongo = wireOf(world)
  await mongo.faults.down()
  const { app, customer } = await entitledApp(
    world,
    ledger,
    'mongo-down-at-start',
    world.mongoSource()
  )
  return {
    app,
    credentials: { 'session token': customer.token, 'entitlement guard': customer.token },
    inject: async () => {},
    remove: () => mongo.faults.up(),
    recoveryMs: MONGO_RECOVERY_MS,
  }
}

const mongoDownCached: Scenario = async (world, ledger) => {
  const mongo = wireOf(world)
  const { app, customer } = await entitledApp(
    world,
    ledger,
    'mongo-down-cached',
    world.mongoSource()
  )
  await warm(app, customer.token, '/api/entitled')
  return {
    app,
    credentials: { 'entitlement guard, organization cached': customer.token },
    inject: () => mongo.faults.down(),
    remove: () => mongo.faults.up(),
    recoveryMs: MONGO_RECOVERY_MS,
  }
}

const malformedDocuments: Scenario = async (world, ledger) => {
  const { app, logger } = rowApp(world, ledger, 'mongo-malformed', {
    entitlements: world.mongoSource(),
  })
  const customer = await world.customer(ledger, {
    entitlements: 'foresight',
    tier: 42,
    limits: { max_projects: 'many' },
    user: { current_team_id: 'not-an-object-id' },
  })
  return {
    app,
    credentials: { 'session token': customer.token, 'entitlement guard': customer.token },
    ...NO_FAULT,
    checkDuring: async () => {
      const auth = await (await app.request('/api/me', bearer(customer.token))).json()
      expect(auth).toMatchObject({
        entitlementsStatus: 'loaded',
        entitlements: [],
        subscriptionTier: null,
        subscriptionLimits: {},
        currentTeamId: null,
        currentTeamName: null,
      })
      const errors = logger.lines.filter((line) =>
        /^error .*malformed entitlement document/.test(line)
      )
      expect(errors.length).toBeGreaterThanOrEqual(4)
    },
  }
}

const dataApiDown: Scenario = async (world, ledger) => {
  const dataApi = world.dataApi
  if (!dataApi) throw new Error('this row needs startWorld({ mongo: true })')
  const { app, customer } = await entitledApp(world, ledger, 'data-api-down', world.dataApiSource())
  return {
    app,
    credentials: { 'session token': customer.token, 'entitlement guard': customer.token },
    inject: () => dataApi.faults.down(),
    remove: () => dataApi.faults.up(),
    recoveryMs: MONGO_RECOVERY_MS,
  }
}

/** The MongoDB and Data API rows, by row id. */
export const ENTITLEMENT_SCENARIOS = {
  'mongo-down': mongoFault('mongo-down', {
    inject: (mongo) => mongo.faults.down(),
    remove: (mongo) => mongo.faults.up(),
  }),
  'mongo-down-at-start': mongoDownAtStart,
  'mongo-down-cached': mongoDownCached,
  'mongo-slow': mongoFault('mongo-slow', {
    inject: (mongo) => mongo.faults.slow(2000),
    remove: (mongo) => mongo.faults.slow(0),
  }),
  // The driver's retry waits ~500 ms for the server to be selected again: the default query
  // timeout (1 s) leaves room for it, the short one of the other rows does not.
  'mongo-dropped-once': mongoFault(
    'mongo-dropped-once',
    {
      inject: (mongo) => mongo.faults.dropNextQueries(1),
      remove: (mongo) => mongo.faults.dropNextQueries(0),
    },
    1000
  ),
  'mongo-dropped-always': mongoFault('mongo-dropped-always', {
    inject: (mongo) => mongo.faults.dropNextQueries(1_000_000),
    remove: (mongo) => mongo.faults.dropNextQueries(0),
  }),
  'mongo-malformed': malformedDocuments,
  'data-api-down': dataApiDown,
} satisfies Record<string, Scenario>
