/**
 * Issue 23: `closeAuth()` resolves only once every socket, timer and subscription the library
 * opened is gone. A user's script (its own Node process, so the test runner's handles do not
 * count) compares `process.getActiveResourcesInfo()` before it used the library with the moment
 * `closeAuth()` resolves, after authenticating a session token and a session JWT with each backend
 * configured by environment: a healthy Redis, a refused Redis port, a Redis Cluster, MongoDB.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStytchEmulator, type RunningStytchEmulator } from '../../src/testing/index.ts'
import { startMongoWireServer, type MongoWireServer } from '../fixtures/mongo/index.ts'
import {
  redisOrSkip,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisServer,
} from '../fixtures/redis/index.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let stytch: RunningStytchEmulator
let redis: RedisServer | undefined
let cluster: RedisCluster | undefined
let mongo: MongoWireServer
beforeAll(async () => {
  ;[stytch, mongo] = await Promise.all([startStytchEmulator(), startMongoWireServer()])
  if (availability.available)
    [redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster()])
}, 60_000)
afterAll(async () => {
  await Promise.all([cluster?.stop(), redis?.stop(), mongo?.close(), stytch?.close()])
})

interface Report {
  readonly before: string[]
  readonly after: string[]
  readonly statuses: number[]
}

/** Runs the script with `env`; its report. */
function runScript(env: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/adapters/close-auth-script.ts'],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(killer)
      const line = stdout.trim().split('\n').at(-1) ?? ''
      try {
        resolve(JSON.parse(line) as Report)
      } catch {
        reject(new Error(`the script ended (${code}) without a report:\n${stdout}\n${stderr}`))
      }
    })
  })
}

/** What is in `after` and not in `before`, counted (the resources left behind). */
function leftBehind({ before, after }: Report): string[] {
  const counts = new Map<string, number>()
  for (const type of before) counts.set(type, (counts.get(type) ?? 0) + 1)
  return after.filter((type) => {
    const left = counts.get(type) ?? 0
    counts.set(type, left - 1)
    return left <= 0
  })
}

const backends: [string, () => Record<string, string>][] = [
  ['a healthy Redis (STYTCH_REDIS_URL)', () => ({ STYTCH_REDIS_URL: redis!.url })],
  ['a refused Redis port', () => ({ STYTCH_REDIS_URL: 'redis://127.0.0.1:1' })],
  [
    'a Redis Cluster (STYTCH_REDIS_CLUSTER_NODES)',
    () => ({
      STYTCH_REDIS_CLUSTER_NODES: cluster!.nodes
        .map(({ host, port }) => `${host}:${port}`)
        .join(','),
    }),
  ],
  ['MongoDB (STYTCH_MONGODB_URI)', () => ({ STYTCH_MONGODB_URI: mongo.uri })],
]

describe.skipIf(!availability.available)('closeAuth()', () => {
  // The four scripts run at once (each in its own process); each test reads its own report.
  let reports: Promise<Report[]>
  beforeAll(async () => {
    const { sessionToken, sessionJwt } = await stytch.emulator.seed()
    const tokens = { TOKENS: `${sessionToken},${sessionJwt}` }
    reports = Promise.all(
      backends.map(([, backendEnv]) => runScript({ ...stytch.env(), ...backendEnv(), ...tokens }))
    )
  })

  it.each(backends.map(([backend], at) => [backend, at] as const))(
    'leaves none of the resources the library opened once it resolves, with %s',
    async (_backend, at) => {
      const report = (await reports)[at]!
      expect({ statuses: report.statuses, leftBehind: leftBehind(report) }).toEqual({
        statuses: [200, 200],
        leftBehind: [],
      })
    },
    30_000
  )
})
