/**
 * @module
 * The measurements of a round: a server under test started, a loaded scenario prepared on it
 * (priming, a sanity check, a warm-up) and measured a 1-s slice at a time, each after 0.5 s of
 * unmeasured load, the dependencies' counters, the server's CPU time and spans read around each
 * slice; a cold scenario; the memory.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ColdScenario, LoadScenario } from './catalog.ts'
import type { FixtureCommands } from './fixtures.ts'
import { burst, stampede, type ExactResult } from './http.ts'
import type { LoadCommands } from './load-generator.ts'
import type { Settings } from './options.ts'
import { cpuMicrosOf, startChild, type Child, type Pinning } from './processes.ts'
import type { ColdPart, ColdSample, HeapCheckpoint, Slice } from './record.ts'
import { PROTECTED_PATH, ROUTES } from './server/peers.ts'
import { NotAvailable, tokenHeader, type Counters, type FixtureInfo } from './spec.ts'
import type { MeBody, TokenSet } from './spec.ts'

/** Pause after a load so in-flight upstream calls land in the window they belong to. */
const SETTLE_MS = 250
/**
 * Unmeasured load before each slice: a server idles while the others are measured (up to two
 * minutes in a full run), and its first quarter second after that took 2.7× the server CPU per
 * request of the next ones (76 against 28 µs, after 130 s idle), a cost no busy server pays.
 */
export const REWARM_SECONDS = 0.5
/**
 * Every server's V8 flags: each idles while the others are measured, and V8 would meanwhile shrink
 * its heap, flush its compiled code, and shrink its young generation (to 1 MB, at the first
 * collection after a long idle spell), which a server under steady load keeps (16 MB, V8's maximum
 * here, is what the L2 server grows to under load). Measured: with eight scenarios, the L2 row's
 * first slice of a round took 2.8× the server CPU per request of its fourth (0.54× its peer instead
 * of 0.83×); with 20 s idle between slices, its young generation shrank, the next collections
 * promoted most of what they found into fresh old-space pages (about one page fault per request)
 * and the row read 0.78× its peer; with the young generation kept (12 s idle), 1.22×; with 2 s idle
 * and no flag, 1.06× to 1.11×.
 */
export const STEADY_STATE = [
  '--no-memory-reducer',
  '--no-flush-bytecode',
  '--min-semi-space-size=16',
]

/** What the measurements run with: fixtures, load generator, tokens (also as JSON files). */
export interface RunContext {
  readonly settings: Settings
  readonly fixtures: Child<FixtureCommands>
  readonly info: FixtureInfo
  readonly load: Child<LoadCommands>
  readonly pinning: Pinning | undefined
  /** The tsconfig of each build's snapshot (`TSX_TSCONFIG_PATH` of its servers). */
  readonly builds: Readonly<Record<LoadScenario['build'], string>>
  readonly tokens: Readonly<Record<TokenSet, readonly string[]>>
  readonly log: (line: string) => void
}

/** A server's command: spans its OpenTelemetry SDK ended so far (`null` without telemetry). */
type ServerCommands = { spans: () => number | null }
/** A running server under test. */
export type RunningServer = Child<ServerCommands> & { readonly origin: string }

/**
 * Starts `app` (with `build`'s package, sent `tokens`) in a new server process, on the server's
 * CPU when pinned; throws {@link NotAvailable} when the build or the packages lack what it needs.
 */
export async function startServer(
  { app, tokens, build }: Pick<LoadScenario, 'app' | 'tokens' | 'build'>,
  context: RunContext
): Promise<RunningServer> {
  const spec = { app, fixtures: context.info, tokens }
  const env = { TSX_TSCONFIG_PATH: context.builds[build] }
  const module = new URL('./server/process.ts', import.meta.url)
  const options = { cpu: context.pinning?.server, env, nodeFlags: STEADY_STATE }
  type Ready = { port?: number; unavailable?: string }
  const started = startChild<Ready, ServerCommands>(module, [JSON.stringify(spec)], options)
  const { ready, child } = await started
  if (ready.port !== undefined) return { ...child, origin: `http://127.0.0.1:${ready.port}` }
  await child.stop()
  throw new NotAvailable(ready.unavailable ?? 'the server did not say its port')
}

/** A scenario primed and warmed up on its server, measured in `slices` slices per round. */
export type PreparedScenario = {
  readonly scenario: LoadScenario
  readonly slices: number
  measure(pass: number): Promise<Slice>
}

/**
 * Primes `scenario` on `server` (each token once; twice if one failed), checks an answer (a
 * misconfiguration answering fast 401s must not pass for speed) and warms it up.
 */
export async function prepareLoadScenario(
  scenario: LoadScenario,
  { settings, fixtures, load, tokens: all, log }: RunContext,
  server: RunningServer
): Promise<PreparedScenario> {
  const { carrier, id, probe } = scenario
  const tokens = all[scenario.tokens]
  const url = `${server.origin}${ROUTES[scenario.route]}`
  for (let pass = 1; scenario.prime; pass++) {
    const { statuses } = await burst(url, tokens, settings.connections, carrier)
    if (statuses['200'] === tokens.length) break
    if (pass === 2) throw new Error(`${id}: priming answered ${JSON.stringify(statuses)} twice`)
    log(`${id}: priming answered ${JSON.stringify(statuses)}; sending every token again`)
  }
  const answer = await fetch(url, { headers: tokenHeader(carrier, tokens[0] ?? '') })
  const body = (await answer.json().catch(() => null)) as MeBody | null
  if (answer.status !== 200 || !body || !scenario.expect(body))
    throw new Error(`${id}: unexpected answer: ${answer.status} ${JSON.stringify(body)}`)
  const { header = '', spans = false } = scenario.requires ?? {}
  if (header && !answer.headers.has(header))
    throw new NotAvailable(`the built package sends no ${header} header (option ignored)`)
  if (spans && !(await server.call('spans')))
    throw new NotAvailable('no OpenTelemetry span ended while priming (telemetry ignored)')
  const traced = (await server.call('spans')) !== null
  const spansSoFar = async () => (traced ? await server.call('spans') : null)
  const connections = probe ? 1 : settings.connections
  const options = { url, tokens: scenario.tokens, carrier, connections }
  const run = (seconds: number) => load.call('run', { ...options, seconds })
  await run(probe ? 1 : settings.warmupSeconds)
  await sleep(SETTLE_MS)
  const measure = async (pass: number): Promise<Slice> => {
    await run(REWARM_SECONDS)
    await sleep(SETTLE_MS)
    const before = await fixtures.call('counters')
    const [spansBefore, cpuBefore] = [await spansSoFar(), cpuMicrosOf(server.pid)]
    const result = await run(1)
    const [cpuMicros, spansAfter] = [cpuMicrosOf(server.pid) - cpuBefore, await spansSoFar()]
    await sleep(SETTLE_MS)
    const after = await fixtures.call('counters')
    const names = Object.keys(after) as (keyof Counters)[]
    const calls = Object.fromEntries(names.map((n) => [n, after[n] - before[n]])) as Counters
    const ended = spansBefore !== null && spansAfter !== null && { spans: spansAfter - spansBefore }
    return { pass, ...result, rps: result.requests / result.seconds, cpuMicros, calls, ...ended }
  }
  return { scenario, slices: probe ? settings.probeSeconds : settings.durationSeconds, measure }
}

/**
 * One round of a cold scenario on a fresh server: new tokens warm it up, then N more new tokens
 * each once, then a stampede of concurrent requests for one more; Stytch calls counted around each.
 */
export async function runColdScenario(
  { app }: ColdScenario,
  context: RunContext
): Promise<ColdSample> {
  const { settings: s, fixtures } = context
  const fresh = await fixtures.call('tokens', 'sessions', s.coldWarmupTokens + s.coldTokens + 1)
  const server = await startServer({ app, tokens: 'sessions', build: 'main' }, context)
  const url = `${server.origin}${PROTECTED_PATH}`
  const counted = async (send: () => Promise<ExactResult>): Promise<ColdPart> => {
    const before = (await fixtures.call('counters')).stytchCalls
    const result = await send()
    await sleep(SETTLE_MS)
    return { result, stytchCalls: (await fixtures.call('counters')).stytchCalls - before }
  }
  try {
    await burst(url, fresh.slice(0, s.coldWarmupTokens), s.coldConcurrency)
    await sleep(SETTLE_MS)
    const measured = fresh.slice(s.coldWarmupTokens, -1)
    const distinct = await counted(() => burst(url, measured, s.coldConcurrency))
    return {
      distinct,
      stampede: await counted(() => stampede(url, fresh.at(-1) ?? '', s.stampede)),
    }
  } finally {
    await server.stop()
  }
}

/**
 * The memory measurement, in a process of its own (`--expose-gc`, the run's build).
 */
export async function measureMemory({ settings, builds }: RunContext) {
  const module = new URL('./memory.ts', import.meta.url)
  const options = { nodeFlags: ['--expose-gc'], env: { TSX_TSCONFIG_PATH: builds.main } }
  type Result = { checkpoints: HeapCheckpoint[]; failures: number }
  const { ready, child } = await startChild<Result>(module, [String(settings.heapTokens)], options)
  await child.stop()
  return ready
}
