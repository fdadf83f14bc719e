/**
 * @module
 * `npx tsx bench/experiments/l1-ladder.ts [rounds] [seconds] [rung,…]`: where the time of an L1 hit goes.
 * The baseline app, then one more step of the hit path per rung (an async middleware; reading the
 * header through Hono, i.e. the Web `Headers`; SHA-256, a map lookup and `c.set`; the real
 * `stytchAuth()` with `testVerifier`; the same minimal steps reading Node's own header object),
 * then the same with the token in Stytch's cookie among other cookies (the baseline receiving
 * that `Cookie` header; scanning it for the name by hand; Hono's cookie parser, as the library
 * uses it; the real `stytchAuth()`), with session tokens and with JWT-sized tokens, each in a
 * fresh process under wrk, rounds alternating. Reports throughput and, steadier on a shared
 * machine, server CPU per request, also as the cost over the baseline receiving the same requests.
 */
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  forkTs,
  installCleanup,
  runDir,
  setChildEnvironment,
  stopAll,
  stopChild,
} from '../children.ts'
import { COOKIE_NAMES } from '../carriers.ts'
import { createLoadGenerator } from '../load.ts'
import { snapshotBuild } from '../snapshot.ts'
import { median } from '../stats.ts'
import { baselineRungOf, carrierOf, RUNGS, type Rung, type TokenKind } from './ladder-rungs.ts'

installCleanup()
const rounds = Number(process.argv[2] ?? '3')
const seconds = Number(process.argv[3] ?? '3')
setChildEnvironment({ TSX_TSCONFIG_PATH: await snapshotBuild() })
const load = await createLoadGenerator('auto')
const b64 = (bytes: number): string => randomBytes(bytes).toString('base64url')
const TOKENS: Record<TokenKind, string[]> = {
  session: Array.from({ length: 1000 }, () => b64(33)),
  // As long as the emulator's session JWTs (1,731 characters).
  jwt: Array.from({ length: 1000 }, () => `${b64(90)}.${b64(950)}.${b64(256)}`),
}
type Kind = TokenKind
const files = Object.fromEntries(
  Object.entries(TOKENS).map(([kind, tokens]) => {
    const file = join(runDir(), `ladder-${kind}.json`)
    writeFileSync(file, JSON.stringify(tokens))
    return [kind, file]
  })
) as Record<Kind, string>
const samples = new Map<string, { rps: number; cpu: number }[]>()

async function measure(rung: Rung, kind: Kind): Promise<{ rps: number; cpu: number }> {
  const tokens = TOKENS[kind]
  const carrier = carrierOf(rung, kind)
  const cookie = COOKIE_NAMES[kind === 'jwt' ? 'jwt-cookie' : 'session-cookie']
  const child = forkTs(new URL('./ladder-server.ts', import.meta.url), [rung, files[kind], cookie])
  const [message] = (await once(child, 'message')) as [{ ready: number }]
  const url = `http://127.0.0.1:${message.ready}/api/me`
  const cpu = async (): Promise<number> => {
    child.send({ cpu: 1 })
    const [reply] = (await once(child, 'message')) as [{ micros: number }]
    return reply.micros
  }
  try {
    await load.run({ url, tokens, carrier, connections: 50, threads: 2, durationSeconds: 2 })
    const before = await cpu()
    const result = await load.run({
      url,
      tokens,
      carrier,
      connections: 50,
      threads: 2,
      durationSeconds: seconds,
    })
    const after = await cpu()
    if (result.non2xx + result.errors > 0)
      throw new Error(`${rung}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    return { rps: result.rps, cpu: (after - before) / result.requests }
  } finally {
    await stopChild(child)
  }
}

const only = process.argv[4]?.split(',')
const rungs = RUNGS.filter((rung) => !only || only.includes(rung))
const steps = (['session', 'jwt'] as const).flatMap((kind) => rungs.map((rung) => ({ kind, rung })))
for (let round = 0; round < rounds; round++) {
  for (const { kind, rung } of round % 2 === 0 ? steps : [...steps].reverse()) {
    const sample = await measure(rung, kind)
    const key = `${kind} ${rung}`
    samples.set(key, [...(samples.get(key) ?? []), sample])
    process.stderr.write(
      `round ${round + 1} · ${key}: ${Math.round(sample.rps)} req/s, ${sample.cpu.toFixed(1)} CPU µs/req\n`
    )
  }
}
await stopAll()
console.log(`\n| tokens | rung | req/s | CPU µs/req | CPU µs over its baseline |`)
console.log('|---|---|--:|--:|--:|')
for (const kind of ['session', 'jwt'] as const) {
  for (const rung of rungs) {
    const base = median((samples.get(`${kind} ${baselineRungOf(rung)}`) ?? []).map((s) => s.cpu))
    const list = samples.get(`${kind} ${rung}`) ?? []
    const cpu = median(list.map((s) => s.cpu))
    console.log(
      `| ${kind} | ${rung} | ${Math.round(median(list.map((s) => s.rps)))} | ${cpu.toFixed(1)} | ${(cpu - base).toFixed(1)} |`
    )
  }
}
