/**
 * The fault matrix, run: for each row, the status a user gets while the dependency fails, that no
 * handler sees an unauthenticated request, that no request waits past the configured timeout, and
 * that the same app serves again once the dependency is back. The README's table is rendered from
 * the same rows.
 */
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisOrSkip } from '../fixtures/redis/index.ts'
import { FAULT_MATRIX, renderFaultMatrix, type Expectation } from './fault-matrix.ts'
import { HandlerLedger } from './ledger.ts'
import { bearer } from './recording-app.ts'
import { limitOf, SCENARIOS, type Arranged } from './scenarios/index.ts'
import { failOnUnhandledRejections } from './unhandled-rejections.ts'
import { startWorld, type World } from './world.ts'

const availability = redisOrSkip()
if (!availability.available) console.warn(availability.reason)

failOnUnhandledRejections()
const ledger = new HandlerLedger()
let world: World
beforeAll(async () => {
  world = await startWorld({ redis: availability.available, mongo: true })
})
afterAll(async () => {
  await world?.close()
})

describe('the fault matrix: one test per row', () => {
  for (const row of FAULT_MATRIX) {
    const needsRedis = row.dependency === 'Redis' || row.dependency === 'Upstash'
    it.skipIf(needsRedis && !availability.available)(
      `${row.dependency}: ${row.fault}`,
      () => runRow(row),
      30_000
    )
  }

  it('every row has a scenario, and every scenario a row', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(FAULT_MATRIX.map((row) => row.id).sort())
  })

  it('no handler saw an unauthenticated request in any row', () => {
    expect(ledger.handled.length).toBeGreaterThan(FAULT_MATRIX.length)
    expect(ledger.violations()).toEqual([])
  })
})

describe('the README', () => {
  it('holds the fault matrix between its markers exactly as the rows render it', () => {
    const path = new URL('../../README.md', import.meta.url)
    const readme = existsSync(path) ? readFileSync(path, 'utf8') : ''
    const table = /<!-- fault-matrix:start -->([\s\S]*?)<!-- fault-matrix:end -->/
      .exec(readme)?.[1]
      ?.trim()
    const paste = 'README.md needs the output of `npx tsx test/reliability/print-fault-matrix.ts`'
    expect(table !== undefined, `${paste} (markers included)`).toBe(true)
    expect(table, `${paste} between its markers, unchanged`).toBe(renderFaultMatrix())
  })
})

async function runRow(row: (typeof FAULT_MATRIX)[number]): Promise<void> {
  const arranged = await SCENARIOS[row.id](world, ledger)
  let removed = false
  const remove = async () => {
    if (removed) return
    removed = true
    await arranged.remove()
  }
  try {
    await arranged.inject()
    for (const expectation of row.during)
      await expectOutcome(arranged, expectation, limitOf(row.bound))
    await arranged.checkDuring?.()
    await remove()
    for (const expectation of row.after) {
      await eventually(
        () => expectOutcome(arranged, expectation, limitOf(row.bound)),
        arranged.recoveryMs ?? 0
      )
    }
    await arranged.checkAfter?.()
  } finally {
    await remove()
    await arranged.dispose?.()
  }
  expect(ledger.violations()).toEqual([])
}

/** Sends the row's credential for `request` and checks status, body, headers and duration. */
async function expectOutcome(
  arranged: Arranged,
  expected: Expectation,
  limitMs: number
): Promise<void> {
  const { request, status, type, retryAfter = 5 } = expected
  const token = arranged.credentials[request]
  if (token === undefined) throw new Error(`the scenario gave no credential for "${request}"`)
  const path = request.startsWith('entitlement guard')
    ? '/api/entitled'
    : request.startsWith('permission guard')
      ? '/api/permitted'
      : '/api/me'
  const started = performance.now()
  const res = await arranged.app.request(path, bearer(token))
  const body: unknown = await res.json()
  const ms = performance.now() - started
  expect({ request, status: res.status, body }).toMatchObject({
    request,
    status,
    ...(type ? { body: { type } } : {}),
  })
  if (status === 503) expect(res.headers.get('retry-after')).toBe(String(retryAfter))
  if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  expect(ms, `${request} took ${Math.round(ms)} ms`).toBeLessThan(limitMs)
}

/** Runs `attempt` until it passes or `withinMs` has passed (then its last failure is thrown). */
async function eventually(attempt: () => Promise<void>, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (performance.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
