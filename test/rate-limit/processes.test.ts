import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisOrSkip, startRedisServer, type RedisServer } from '../fixtures/redis/index.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

let redis: RedisServer
beforeAll(async () => {
  if (availability.available) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

/** A `consume-instance.ts` process, and the JSON lines it prints, awaited one by one. */
function startInstance(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/rate-limit/consume-instance.ts'],
    { env: { ...process.env, ...env }, stdio: 'pipe' }
  )
  let errors = ''
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()))
  const printed: Record<string, number | boolean>[] = []
  const waiting: (() => void)[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    printed.push(JSON.parse(line) as Record<string, number | boolean>)
    for (const wake of waiting.splice(0)) wake()
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`instance exited (${code}): ${errors}`)))
  )
  exited.catch(() => {})
  /** The next printed line with `field`. */
  const next = async (field: string): Promise<number | boolean> => {
    for (;;) {
      const line = printed.find((entry) => field in entry)
      if (line) return line[field] as number | boolean
      await Promise.race([new Promise<void>((wake) => waiting.push(wake)), exited])
    }
  }
  return {
    next,
    go: () => child.stdin.write('go\n'),
    stop: () => child.exitCode === null && child.kill('SIGKILL'),
  }
}

describe.skipIf(!availability.available)('three processes sharing one redis-server', () => {
  it('a burst of 3 × limit from three processes at once admits exactly limit', async () => {
    const env = {
      REDIS_URL: redis.url,
      KEY: `ayz:rl:test:${randomUUID()}`,
      LIMIT: '30',
      COUNT: '30',
    }
    const instances = Array.from({ length: 3 }, () => startInstance(env))
    try {
      await Promise.all(instances.map((instance) => instance.next('ready')))
      for (const instance of instances) instance.go()
      const allowed = await Promise.all(instances.map((instance) => instance.next('allowed')))
      expect(allowed.map(Number).reduce((sum, count) => sum + count, 0)).toBe(30)
    } finally {
      for (const instance of instances) instance.stop()
    }
  })
})
