/**
 * Teams cached with `teamTtl` stay right across a fleet: a team change made through
 * `invalidateMember()` on one instance is what the next request sees on every instance sharing
 * Redis, though each had cached the old team for a minute.
 */
import { ObjectId } from 'bson'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'
import { redisOrSkip, startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'
import type { Instance } from './spawn-instance.ts'
import { spawnScript } from './spawn-script.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let stytch: RunningStytchEmulator
let mongo: MongoWireServer
let redis: RedisServer
let instances: Instance[] = []
beforeAll(async () => {
  if (!availability.available) return
  ;[stytch, mongo, redis] = await Promise.all([
    startStytchEmulator(),
    startMongoWireServer(),
    startRedisServer(),
  ])
  const env = { ...stytch.env(), STYTCH_REDIS_URL: redis.url, STYTCH_MONGODB_URI: mongo.uri }
  instances = await Promise.all(
    [0, 1, 2].map(() => spawnScript('test/adapters/team-instance.ts', env))
  )
}, 60_000)
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()))
  await Promise.all([redis?.stop(), mongo?.close(), stytch?.close()])
})

describe.skipIf(!availability.available)('teamTtl with invalidateMember()', () => {
  it('a team change made through the invalidation is seen by the next request on every instance', async () => {
    const seeded = await stytch.emulator.seed()
    const database = mongo.store
    const organizationId = new ObjectId()
    const [research, sales] = [new ObjectId(), new ObjectId()]
    const db = (name: string) => database.collection('soulmates', name)
    db('organizations').insertOne({
      _id: organizationId,
      stytch_org_id: seeded.organization.organization_id,
      subscription_tier: 'premium',
      entitlements: [],
      subscription_limits: {},
    })
    db('teams').insertOne({ _id: research, name: 'Research', organization_id: organizationId })
    db('teams').insertOne({ _id: sales, name: 'Sales', organization_id: organizationId })
    db('users').insertOne({ stytch_member_id: seeded.member.member_id, current_team_id: research })
    const headers = { authorization: `Bearer ${seeded.sessionToken}` }
    const teams = () =>
      Promise.all(
        instances.map(async ({ url }) => {
          const res = await fetch(`${url}/api/team`, { headers })
          return ((await res.json()) as { team: string | null }).team
        })
      )
    expect(await teams()).toEqual(['Research', 'Research', 'Research'])
    // The app moves the member to Sales and says so once, on one instance.
    db('users').updateOne(
      { stytch_member_id: seeded.member.member_id },
      { $set: { current_team_id: sales } }
    )
    expect(await teams()).toEqual(['Research', 'Research', 'Research']) // cached for a minute
    const changed = await fetch(`${instances[0]!.url}/api/team/changed`, {
      method: 'POST',
      headers,
    })
    expect(changed.status).toBe(204)
    // Redis pub/sub reaches the others within milliseconds; a little slack for a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await teams()).toEqual(['Sales', 'Sales', 'Sales'])
  })
})
