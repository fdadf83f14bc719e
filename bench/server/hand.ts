/**
 * @module
 * What a user would write by hand instead of ayz-auth, the peers of our cache hit: the token from
 * `Authorization: Bearer` or the session cookie (a simple scan), its SHA-256 (or, with
 * `keyedBy: 'token'`, the token itself) looked up in a Map of pre-verified sessions,
 * `c.set('auth', session)`, 401 otherwise. `mongo` adds the team read the library does per
 * request (same driver, same pipeline, the organization cached in a Map); `redis` reads the
 * session from Redis per request (`GET` + `JSON.parse` through ioredis) instead of the Map: the
 * same content our shared entry holds (the fields and Stytch's response, 2.7 KB of JSON), neither
 * sealed nor validated.
 */
import { hash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Hono, type Context } from 'hono'
import { Redis } from 'ioredis'
import { MongoClient, ObjectId, type Document } from 'mongodb'
import { COOKIE_NAMES, type AppSpec, type MeBody, type ServerSpec } from '../spec.ts'
import { bearerToken, HEALTH_PATH, PROTECTED_PATH, type BenchApp } from './peers.ts'

/** A pre-verified session, as a hand-written cache would keep it (in Redis, with Stytch's response). */
type HandSession = {
  memberId: string
  organizationId: string
  sessionId: string
  roles: string[]
  stytchResponse?: unknown
}
type HandEnv = { Variables: { auth: HandSession } }

/**
 * The hand-written app `app` for `spec`.
 */
export async function handApp(
  spec: ServerSpec,
  { read, keyedBy }: Extract<AppSpec, { kind: 'hand' }>
): Promise<BenchApp> {
  const tokens = JSON.parse(readFileSync(spec.tokensFile, 'utf8')) as string[]
  const keyOf = (token: string): string => (keyedBy === 'token' ? token : hash('sha256', token))
  const cookieName = COOKIE_NAMES[spec.tokens === 'jwts' ? 'jwt-cookie' : 'session-cookie']
  const { memberId, organizationId } = spec.fixtures.member
  const sessions = new Map<string, HandSession>()
  const roles = ['stytch_member']
  tokens.forEach((token, i) =>
    sessions.set(keyOf(token), { memberId, organizationId, sessionId: `s-${i}`, roles })
  )
  const app = new Hono<HandEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  const get = read === 'redis' ? await redisLookup(spec, sessions, tokens) : undefined
  app.use(PROTECTED_PATH, async (c, next) => {
    const token = bearerToken(c) ?? cookieValue(c, cookieName)
    const key = token === undefined ? undefined : keyOf(token)
    const session = key === undefined ? undefined : get ? await get(key) : sessions.get(key)
    if (!session) return c.json({ error: 'unauthorized' }, 401)
    c.set('auth', session)
    await next()
  })
  const teamOf = read === 'mongo' ? await mongoTeams(spec) : undefined
  const me = (c: Context<HandEnv>, team: string | null) =>
    c.json<MeBody>({ member: c.var.auth.memberId, team })
  if (teamOf) app.get(PROTECTED_PATH, async (c) => me(c, await teamOf(c.var.auth)))
  else app.get(PROTECTED_PATH, (c) => me(c, null))
  return app
}

/** The value of cookie `name`, found by a simple scan of the `Cookie` header. */
function cookieValue(c: Context, name: string): string | undefined {
  for (const part of (c.req.header('cookie') ?? '').split(';')) {
    const pair = part.trim()
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1)
  }
  return undefined
}

/**
 * Writes every session to Redis once, with the Stytch response a hand-written cache keeps to serve
 * what `stytchAuth()` serves (the member, the organization); then each lookup is a `GET` and a
 * `JSON.parse`.
 */
async function redisLookup(
  { fixtures }: ServerSpec,
  sessions: ReadonlyMap<string, HandSession>,
  [token]: readonly string[]
) {
  if (token === undefined) throw new Error('the hand-written Redis app was given no token')
  const stytchResponse = await authenticatedOnce(fixtures.stytch, token)
  const redis = new Redis(fixtures.redisUrl)
  const writes = redis.pipeline()
  for (const [key, session] of sessions)
    writes.set(`hand:${key}`, JSON.stringify({ ...session, stytchResponse }))
  await writes.exec()
  return async (key: string): Promise<HandSession | undefined> => {
    const value = await redis.get(`hand:${key}`)
    return value === null ? undefined : (JSON.parse(value) as HandSession)
  }
}

/** Stytch's answer to `token`, without its token fields (as ours keeps it). */
async function authenticatedOnce(stytch: ServerSpec['fixtures']['stytch'], token: string) {
  const response = await fetch(`${stytch.url}/v1/b2b/sessions/authenticate`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${stytch.projectId}:${stytch.secret}`)}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ session_token: token }),
  })
  if (!response.ok) throw new Error(`Stytch answered ${response.status} to the hand-written app`)
  const {
    session_token: _token,
    session_jwt: _jwt,
    ...rest
  } = (await response.json()) as Record<string, unknown>
  return rest
}

/** The member's team, read fresh per request (the user `_id` found once, the organization kept in a Map). */
async function mongoTeams({ fixtures }: ServerSpec) {
  const db = new MongoClient(fixtures.mongoUri).db('soulmates')
  const [users, organizations] = [db.collection('users'), new Map<string, Document | null>()]
  const userId = String((await users.findOne({ stytch_member_id: fixtures.member.memberId }))?._id)
  const find = (id: string) => db.collection('organizations').findOne({ stytch_org_id: id })
  return async ({ organizationId: id }: HandSession): Promise<string | null> => {
    if (!organizations.has(id)) organizations.set(id, await find(id))
    const [found] = await users.aggregate(teamPipeline(userId)).toArray()
    const team = (found?.team as Document[] | undefined)?.[0]
    return typeof team?.name === 'string' ? team.name : null
  }
}

/** The user and its current team in one round trip (`memberPipeline` of the library, by `_id`). */
const teamPipeline = (userId: string): Document[] => [
  { $match: { _id: { $in: [new ObjectId(userId), userId] } } },
  { $limit: 1 },
  {
    $lookup: {
      from: 'teams',
      let: { teamId: '$current_team_id' },
      pipeline: [
        { $match: { $expr: { $eq: ['$_id', '$$teamId'] } } },
        { $limit: 1 },
        { $project: { _id: 1, name: 1, organization_id: 1 } },
      ],
      as: 'team',
    },
  },
  { $project: { _id: 1, current_team_id: 1, team: 1 } },
]
