/**
 * The dependencies an app of this suite talks to, all real and on loopback: the Stytch emulator
 * (with the real SDK in front of it), a redis-server child process, an Upstash REST server in
 * front of it, a MongoDB wire-protocol server and an Atlas Data API server over one store.
 */
import { MongoClient, ObjectId } from 'mongodb'
import { dataApiEntitlements } from '../../adapters/data-api.ts'
import { mongoEntitlements } from '../../adapters/mongodb.ts'
import type { EntitlementSource } from '../../src/index.ts'
import {
  startStytchEmulator,
  type EmulatedSession,
  type RunningStytchEmulator,
} from '../../src/testing/index.ts'
import {
  startDataApiServer,
  startMongoWireServer,
  type DataApiServer,
  type MongoWireServer,
} from '../fixtures/mongo/index.ts'
import {
  startRedisServer,
  startUpstashServer,
  type RedisServer,
  type UpstashServer,
} from '../fixtures/redis/index.ts'
import type { HandlerLedger } from './ledger.ts'

/** The database the entitlement documents live in. */
export const DATABASE = 'soulmates'
/** Milliseconds a request may wait for Stytch in this suite's apps, retries included. */
export const STYTCH_TIMEOUT_MS = 800
/** Retries of a failed Stytch call within that budget. */
export const STYTCH_MAX_RETRIES = 2
/** Milliseconds a MongoDB query (or server selection) may take before the source counts as down. */
export const MONGO_TIMEOUT_MS = 500
/** Milliseconds a Data API request may take. */
export const DATA_API_TIMEOUT_MS = 500

/** What a world is asked to start besides the Stytch emulator. */
export interface WorldNeeds {
  readonly redis?: boolean
  readonly mongo?: boolean
}

/** An organization, its member with a team, and a session of that member, in Stytch and MongoDB. */
export interface Customer {
  readonly session: EmulatedSession
  readonly token: string
  readonly jwt: string
  readonly orgId: ObjectId
  readonly teamId: ObjectId
  readonly userId: ObjectId
}

/** How a customer's documents look (anything not given is well formed). */
export interface CustomerShape {
  readonly entitlements?: unknown
  readonly tier?: unknown
  readonly limits?: unknown
  /** Replaces fields of the user document (e.g. a `current_team_id` of another organization's team). */
  readonly user?: Record<string, unknown>
  /** Replaces fields of the organization document. */
  readonly organization?: Record<string, unknown>
  readonly teamName?: string
}

/** The running dependencies. */
export interface World {
  readonly stytch: RunningStytchEmulator
  readonly redis: RedisServer | undefined
  readonly upstash: UpstashServer | undefined
  readonly mongo: MongoWireServer | undefined
  readonly dataApi: DataApiServer | undefined
  /** Stytch settings of an app, with this suite's timeout and retries. */
  stytchOptions(): {
    projectId: string
    secret: string
    baseUrl: string
    timeoutMs: number
    maxRetries: number
  }
  /** A new Stytch session (its own organization and member), registered in the ledger. */
  session(ledger: HandlerLedger): Promise<EmulatedSession>
  /** A new customer: a Stytch session plus organization, team and user documents. */
  customer(ledger: HandlerLedger, shape?: CustomerShape): Promise<Customer>
  /** An entitlement source over the MongoDB driver, with its own client (closed with the world). */
  mongoSource(timeoutMs?: number): EntitlementSource
  /** An entitlement source over the Data API. */
  dataApiSource(): EntitlementSource
  close(): Promise<void>
}

/**
 * Starts the Stytch emulator and, when asked, Redis (with an Upstash endpoint in front of it) and
 * the MongoDB servers.
 *
 * @example
 * ```ts
 * const world = await startWorld({ redis: true, mongo: true })
 * const customer = await world.customer(ledger, { entitlements: ['foresight'] })
 * await world.close()
 * ```
 */
export async function startWorld(needs: WorldNeeds = {}): Promise<World> {
  const stytch = await startStytchEmulator()
  const redis = needs.redis ? await startRedisServer() : undefined
  const upstash = redis ? await startUpstashServer({ redisUrl: redis.url }) : undefined
  const mongo = needs.mongo ? await startMongoWireServer({ dbName: DATABASE }) : undefined
  const dataApi = mongo ? await startDataApiServer({ store: mongo.store }) : undefined
  const clients: MongoClient[] = []

  const collection = (name: string) => {
    if (!mongo) throw new Error('this world has no MongoDB: startWorld({ mongo: true })')
    return mongo.store.collection(DATABASE, name)
  }

  return {
    stytch,
    redis,
    upstash,
    mongo,
    dataApi,
    stytchOptions: () => ({
      projectId: stytch.projectId,
      secret: stytch.secret,
      baseUrl: stytch.url,
      timeoutMs: STYTCH_TIMEOUT_MS,
      maxRetries: STYTCH_MAX_RETRIES,
    }),
    session: async (ledger) => ledger.issue(await stytch.emulator.seed({ durationMinutes: 600 })),
    async customer(ledger, shape = {}) {
      const session = ledger.issue(await stytch.emulator.seed({ durationMinutes: 600 }))
      const orgId = new ObjectId()
      const teamId = new ObjectId()
      const userId = new ObjectId()
      collection('organizations').insertOne({
        _id: orgId,
        stytch_org_id: session.organization.organization_id,
        subscription_tier: shape.tier === undefined ? 'standard' : shape.tier,
        entitlements: shape.entitlements === undefined ? ['foresight'] : shape.entitlements,
        subscription_limits: shape.limits === undefined ? { max_projects: 5 } : shape.limits,
        ...shape.organization,
      })
      collection('teams').insertOne({
        _id: teamId,
        name: shape.teamName ?? 'Engineering',
        organization_id: orgId,
      })
      collection('users').insertOne({
        _id: userId,
        stytch_member_id: session.member.member_id,
        current_team_id: teamId,
        ...shape.user,
      })
      return {
        session,
        token: session.sessionToken,
        jwt: session.sessionJwt,
        orgId,
        teamId,
        userId,
      }
    },
    mongoSource(timeoutMs = MONGO_TIMEOUT_MS) {
      if (!mongo) throw new Error('this world has no MongoDB: startWorld({ mongo: true })')
      const client = new MongoClient(mongo.uri, {
        serverSelectionTimeoutMS: timeoutMs,
        connectTimeoutMS: timeoutMs,
      })
      clients.push(client)
      return mongoEntitlements({ client, db: DATABASE, queryTimeoutMs: timeoutMs })
    },
    dataApiSource() {
      if (!dataApi) throw new Error('this world has no Data API: startWorld({ mongo: true })')
      return dataApiEntitlements({
        url: dataApi.url,
        apiKey: dataApi.apiKey,
        database: DATABASE,
        timeoutMs: DATA_API_TIMEOUT_MS,
      })
    },
    async close() {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)))
      await dataApi?.close()
      await mongo?.close()
      await upstash?.close()
      await redis?.stop()
      await stytch.close()
    },
  }
}
