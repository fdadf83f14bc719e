/**
 * @module
 * The fixture process (apart from the server under test): the Stytch emulator of
 * `ayz-auth/testing` with a fixed latency, its Auth0 emulator, a real redis-server, the Upstash REST test server in
 * front of it and the MongoDB wire test server holding the benchmark member's organization, user
 * and team (the test suite's fixtures). It makes tokens and reads the dependencies' counters on
 * command. Argument: the emulator's latency in ms.
 */
import { ObjectId } from 'bson'
import { startAuth0Emulator, startStytchEmulator } from 'ayz-auth/testing'
import { generateApiKey } from '../src/api-keys/api-key-format.ts'
import { apiKeyDocumentOf, storableApiKey } from '../src/api-keys/api-key-record.ts'
import { MemoryStore, startMongoWireServer } from '../test/fixtures/mongo/index.ts'
import { sendOnce, startRedisServer, startUpstashServer } from '../test/fixtures/redis/index.ts'
import { answerCommands } from './processes.ts'
import type { Counters, FixtureInfo, TokenSet } from './spec.ts'

const DB = 'soulmates'
/** Sessions outlive the longest run. */
const SESSION_MINUTES = 240
/** The scope of every M2M token: what the emulator's default policy lets members do too. */
const scopes = ['read:documents']

const latencyMs = Number(process.argv[2] ?? '50')
const stytch = await startStytchEmulator({ latencyMs })
const redis = await startRedisServer()
const upstash = await startUpstashServer({ redisUrl: redis.url })
const store = new MemoryStore()
const mongo = await startMongoWireServer({ store, dbName: DB })
const auth0 = await startAuth0Emulator()

// One organization and one member for every session, with entitlements and a team.
const { emulator } = stytch
const { organization_id: organizationId } = emulator.createOrganization({ name: 'Bench Corp' })
const email = 'ada@bench-corp.example'
const { member_id: memberId } = emulator.createMember({ organizationId, email, name: 'Ada Bench' })
const [orgId, teamId] = [new ObjectId(), new ObjectId()]
const entitlements = ['foresight', 'analytics_basic', 'advanced_analytics']
const limits = {
  subscription_tier: 'premium',
  subscription_limits: { max_projects: 50, max_users: -1 },
}
store
  .collection(DB, 'organizations')
  .insertOne({ _id: orgId, stytch_org_id: organizationId, entitlements, ...limits })
store.collection(DB, 'teams').insertOne({ _id: teamId, name: 'Research', organization_id: orgId })
const user = { _id: new ObjectId(), stytch_member_id: memberId, current_team_id: teamId }
store.collection(DB, 'users').insertOne(user)

let mongoQueries = 0

const newSession = () => emulator.createSession({ memberId, durationMinutes: SESSION_MINUTES })

/** A new API key of the bench organization, stored in MongoDB; or a new Auth0 user's token. */
const newKeyOrToken = (set: 'api_keys' | 'auth0') => async (): Promise<string> => {
  if (set === 'auth0') return auth0.emulator.mintUserToken({ permissions: scopes })
  const key = generateApiKey('test')
  const details = {
    organizationId,
    createdBy: memberId,
    name: 'bench',
    scopes,
    expiresAt: null,
    replaces: null,
  }
  store
    .collection(DB, 'api_keys')
    .insertOne(apiKeyDocumentOf(await storableApiKey(key, details), (hex) => new ObjectId(hex)))
  return key
}

const commands = {
  /** `count` new tokens of `set`: session tokens, session JWTs or M2M tokens of 10 clients. */
  async tokens(set: TokenSet, count: number): Promise<string[]> {
    if (set === 'api_keys' || set === 'auth0')
      return Promise.all(Array.from({ length: count }, newKeyOrToken(set)))
    const m2m = set === 'm2m'
    const clients = Array.from({ length: m2m ? 10 : 0 }, () => emulator.createM2MClient({ scopes }))
    const tokenOf = async (i: number): Promise<string> => {
      // A client's M2M tokens differ by their `iat`: one second older per round over the clients.
      const age = Math.floor(i / 10)
      const [clientId = '', issuedAt] = [
        clients[i % 10]?.clientId,
        new Date(Date.now() - age * 1000),
      ]
      if (m2m) return emulator.mintM2MToken({ clientId, issuedAt, expiresInSeconds: 3600 + age })
      const { session, sessionToken } = await newSession()
      if (set === 'sessions') return sessionToken
      return emulator.mintSessionJwt(session.member_session_id, { lifetimeSeconds: 3600 })
    }
    const tokens: string[] = []
    for (let i = 0; i < count; i++) tokens.push(await tokenOf(i))
    return tokens
  },
  /** The counters so far (the Mongo command log is emptied as it is read, so it stays short). */
  async counters(): Promise<Counters> {
    const queries = store.commandLog.filter(({ command }) =>
      ['find', 'aggregate'].includes(command)
    )
    mongoQueries += queries.length
    store.resetLog()
    const stats = String(await sendOnce(redis.port, ['INFO', 'commandstats']))
    return {
      stytchCalls: emulator.calls.total,
      mongoQueries,
      redisGets: Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0),
      upstashRequests: upstash.requests,
    }
  },
}

/** The commands the orchestrator calls (see `remote` in `processes.ts`). */
export type FixtureCommands = typeof commands

const close = () =>
  Promise.allSettled([stytch.close(), upstash.close(), mongo.close(), auth0.close()]).then(() =>
    redis.stop()
  )
const stop = (): void => void close().finally(() => process.exit(0))
process.once('SIGTERM', stop).once('SIGINT', stop)
answerCommands(commands)
process.send?.({
  ready: {
    stytch: { url: stytch.url, projectId: stytch.projectId, secret: stytch.secret },
    redisUrl: redis.url,
    upstash: { url: upstash.url, token: upstash.token },
    mongoUri: mongo.uri,
    member: { memberId, organizationId },
    auth0: { url: auth0.url, audience: auth0.audience },
  } satisfies FixtureInfo,
})
