/**
 * @module
 * What a user would write by hand instead of ayz-auth, the peers of our cache hit: the token from
 * `Authorization: Bearer` or the session cookie (a simple scan), its SHA-256 (or, with
 * `keyedBy: 'token'`, the token itself) looked up in a Map, `c.set('auth', session)`; a miss asks
 * Stytch's `sessions/authenticate` (through `fetch`) and keeps the session, or answers 401.
 * `mongo` adds the team read the library does per request (same driver, same pipeline, the
 * organization cached in a Map); `redis` keeps the session in Redis instead of the Map and reads
 * it per request (`GET` + `JSON.parse` through ioredis): the same content our shared entry holds
 * (the fields and Stytch's response, 2.7 KB of JSON), neither sealed nor validated.
 */
import { hash } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { Redis } from 'ioredis'
import { MongoClient, ObjectId, type Document } from 'mongodb'
import { COOKIE_NAMES, type AppSpec, type MeBody, type ServerSpec } from '../spec.ts'
import { bearerToken, HEALTH_PATH, PROTECTED_PATH, type BenchApp } from './peers.ts'

/** A session as a hand-written cache keeps it (in Redis, with Stytch's response). */
type HandSession = {
  memberId: string
  organizationId: string
  sessionId: string
  roles: string[]
  stytchResponse?: unknown
}
type HandEnv = { Variables: { auth: HandSession } }
/** The fields of Stytch's `sessions/authenticate` answer a hand-written cache keeps. */
type StytchAnswer = Record<string, unknown> & {
  member_session: {
    member_session_id: string
    member_id: string
    organization_id: string
    roles?: string[] | null
  }
}

/**
 * The hand-written app `app` for `spec`.
 */
export async function handApp(
  spec: ServerSpec,
  { read, keyedBy }: Extract<AppSpec, { kind: 'hand' }>
): Promise<BenchApp> {
  const keyOf = (token: string): string => (keyedBy === 'token' ? token : hash('sha256', token))
  const jwts = spec.tokens === 'jwts'
  const cookieName = COOKIE_NAMES[jwts ? 'jwt-cookie' : 'session-cookie']
  const sessions = new Map<string, HandSession>()
  const redis = read === 'redis' ? new Redis(spec.fixtures.redisUrl) : undefined
  const get = async (key: string): Promise<HandSession | undefined> => {
    const value = await redis?.get(`hand:${key}`)
    return typeof value === 'string' ? (JSON.parse(value) as HandSession) : undefined
  }
  // A miss asks Stytch and keeps its answer: what priming does, before the measured hits.
  const verified = async (token: string, key: string): Promise<HandSession | undefined> => {
    const session = await authenticated(spec.fixtures.stytch, token, jwts, redis !== undefined)
    if (session && redis) await redis.set(`hand:${key}`, JSON.stringify(session))
    else if (session) sessions.set(key, session)
    return session
  }
  const app = new Hono<HandEnv>()
  app.get(HEALTH_PATH, (c) => c.text('ok'))
  app.use(PROTECTED_PATH, async (c, next) => {
    const token = bearerToken(c) ?? cookieValue(c, cookieName)
    if (token === undefined) return c.json({ error: 'unauthorized' }, 401)
    const key = keyOf(token)
    const session = (redis ? await get(key) : sessions.get(key)) ?? (await verified(token, key))
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
 * The session of `token` by Stytch's `sessions/authenticate` (through `fetch`), with Stytch's
 * answer without its token fields when `withResponse` (what our shared entry holds); `undefined`
 * when Stytch refuses it.
 */
async function authenticated(
  stytch: ServerSpec['fixtures']['stytch'],
  token: string,
  jwt: boolean,
  withResponse: boolean
): Promise<HandSession | undefined> {
  const response = await fetch(`${stytch.url}/v1/b2b/sessions/authenticate`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${stytch.projectId}:${stytch.secret}`)}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(jwt ? { session_jwt: token } : { session_token: token }),
  })
  if (!response.ok) return undefined
  const {
    session_token: _token,
    session_jwt: _jwt,
    ...rest
  } = (await response.json()) as StytchAnswer
  const { member_session: session } = rest
  return {
    memberId: session.member_id,
    organizationId: session.organization_id,
    sessionId: session.member_session_id,
    roles: session.roles ?? [],
    ...(withResponse ? { stytchResponse: rest } : {}),
  }
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
