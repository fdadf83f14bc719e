/**
 * @module
 * `npm run bench`: every scenario of the catalog in one run. This orchestrator (on the load CPU
 * when pinned) starts the fixture process and the load generator beside it, then the rounds.
 * Each round mints new tokens and starts a fresh server (on the server CPU) per app, set of tokens
 * and build, shared by the scenarios sending those tokens to any of its routes, by Bearer or by
 * cookie (comparing two routes or carriers then compares only those); primes and warms up every
 * scenario in the round's order; measures all of them in 1-s slices (each after an unmeasured
 * burst), one after another, pass after pass, the order reversed every other pass, so a drift in
 * the machine's speed reaches a scenario and its baseline alike; then runs the cold scenarios. The
 * memory follows the rounds. It writes the tables (`bench/results.md`, raw slices in
 * `bench/results.json`; quick: `results-quick.*`; with `--readme`, into README.md between the
 * bench markers).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { findRedisServer } from '../test/fixtures/redis/index.ts'
import { selectScenarios, type ColdScenario, type LoadScenario, type Scenario } from './catalog.ts'
import type { FixtureCommands } from './fixtures.ts'
import type { LoadCommands } from './load-generator.ts'
import { measureMemory, prepareLoadScenario, runColdScenario, startServer } from './measure.ts'
import type { PreparedScenario, RunningServer } from './measure.ts'
import { parseSettings } from './options.ts'
import { installCleanup, placeProcesses, ROOT, startChild } from './processes.ts'
import { summarize, type ColdPart, type ColdSample, type RunRecord, type Slice } from './record.ts'
import { renderMarkdown } from './report.ts'
import { snapshotBuild } from './snapshot.ts'
import { NotAvailable, type FixtureInfo, type TokenSet } from './spec.ts'

const stopAll = installCleanup()
const settings = parseSettings(process.argv.slice(2))
const redis = spawnSync(findRedisServer() ?? 'redis-server', ['--version'], { encoding: 'utf8' })
// Read before pinning: the CPUs the run may use, not the one this process is confined to.
const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform} ${release()}, Node ${process.version}, redis-server ${/v=(\S+)/.exec(redis.stdout ?? '')?.[1]}`
const { pinning, reason } = placeProcesses(settings.pin)
const placement = pinning
  ? `pinned (${reason}) with \`taskset -c\`: the server under test alone on CPU ${pinning.server}; the load generator, the fixtures (Stytch emulator, redis-server, Upstash and MongoDB servers) and the orchestrator on CPU ${pinning.load}`
  : `not pinned (${reason}): every process on any CPU`
const [startedAt, loadAtStart] = [new Date(), loadavg()[0] ?? 0]
const log = (line: string): void => {
  const s = Math.round(performance.now() / 1000)
  process.stderr.write(`[${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}] ${line}\n`)
}

const steps = selectScenarios(settings.only, settings.compare !== undefined)
const { dist, compare } = settings
const main = await snapshotBuild(dist, 'main')
const second = compare ? await snapshotBuild(compare, 'compare') : undefined
const builds = { main: main.tsconfig, compare: second?.tsconfig ?? '' }
const [build, compareBuild] = [main.description, second?.description]
log(`${settings.mode} mode, ${settings.rounds} round(s), ${steps.length} scenarios; ${machine}`)
log(`measuring ${build}${compareBuild ? ` and ${compareBuild}` : ''}; ${placement}`)

const fixturesModule = new URL('./fixtures.ts', import.meta.url)
const latency = [String(settings.stytchLatencyMs)]
const mainBuild = { env: { TSX_TSCONFIG_PATH: builds.main } }
const [started, generator] = await Promise.all([
  startChild<FixtureInfo, FixtureCommands>(fixturesModule, latency, mainBuild),
  startChild<true, LoadCommands>(new URL('./load-generator.ts', import.meta.url), [], {}),
])
const [info, fixtures, load] = [started.ready, started.child, generator.child]
log(`fixtures up: Stytch ${info.stytch.url}, ${info.redisUrl}, Upstash ${info.upstash.url}`)

const tokens = {} as Record<TokenSet, string[]>
/** New tokens for the round: a full run outlasts the hour that session JWTs and M2M tokens live. */
async function mintTokens(): Promise<void> {
  for (const set of ['sessions', 'jwts', 'm2m', 'api_keys', 'auth0'] as const) {
    const needed = steps.some((s) => s.type === 'load' && s.tokens === set)
    tokens[set] = needed ? await fixtures.call('tokens', set, settings.hotTokens) : []
    await load.call('setTokens', set, tokens[set])
  }
}
const context = { settings, fixtures, info, load, pinning, builds, tokens, log }

const loadSamples = new Map<string, Slice[][]>()
const coldSamples = new Map<string, ColdSample[]>()
const failures: string[] = []
const unavailable = new Map<string, string>()

/** Runs a step: a failure is logged and left out, a step the build cannot run skipped after. */
async function attempt<T>(id: string, round: number, work: () => Promise<T>) {
  try {
    return await work()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (error instanceof NotAvailable && !unavailable.has(id))
      log(`${id}: not available: ${message}`)
    if (error instanceof NotAvailable) unavailable.set(id, message)
    else failures.push(`round ${round + 1}, ${id}: ${message.split('\n')[0]}`)
    if (!(error instanceof NotAvailable)) log(`round ${round + 1} · ${id}: FAILED: ${message}`)
    return undefined
  }
}

/** Logs a round of a loaded scenario in one line. */
function logLoaded(round: number, id: string, slices: readonly Slice[]): void {
  const s = summarize(slices)
  const calls = `Stytch ${s.stytchCalls}, Mongo ${s.mongoQueries}, Redis GET ${s.redisGets}, Upstash ${s.upstashRequests}`
  const cpu = `${s.cpuMicrosPerRequest.toFixed(1)} server CPU µs/req (${Math.round(s.serverBusy * 100)}% busy)`
  const latency = `p50 ${s.p50Ms.toFixed(3)} ms, p99 ${s.p99Ms.toFixed(2)} ms`
  const rps = `${Math.round(s.rps)} req/s`
  log(`round ${round + 1} · ${id}: ${rps}, ${latency}, ${cpu}, ${calls}, ${s.failures} failures`)
}

/** One round, as the module says: servers, priming, interleaved passes, then the cold scenarios. */
async function runRound(order: readonly Scenario[], round: number): Promise<void> {
  await mintTokens()
  const servers = new Map<string, Promise<RunningServer>>()
  const serverOf = (step: LoadScenario): Promise<RunningServer> => {
    const key = JSON.stringify([step.app, step.tokens, step.build])
    const server = servers.get(key) ?? startServer(step, context)
    return servers.set(key, server) && server
  }
  const slices = new Map<PreparedScenario, Slice[]>()
  try {
    for (const step of order.filter((s): s is LoadScenario => s.type === 'load')) {
      const prepare = async () => prepareLoadScenario(step, context, await serverOf(step))
      const ready = unavailable.has(step.id) ? undefined : await attempt(step.id, round, prepare)
      if (ready) slices.set(ready, [])
    }
    const prepared = [...slices.keys()]
    const passes = Math.max(0, ...prepared.map((scenario) => scenario.slices))
    log(`round ${round + 1}: ${prepared.length} scenarios ready on ${servers.size} servers`)
    for (let pass = 0; pass < passes; pass++) {
      for (const scenario of pass % 2 === 0 ? prepared : [...prepared].reverse()) {
        // A scenario with fewer slices than there are passes is spread evenly over them.
        const share = (n: number): number => Math.floor((n * scenario.slices) / passes)
        const taken = slices.get(scenario)
        if (!taken || share(pass + 1) === share(pass)) continue
        const slice = await attempt(scenario.scenario.id, round, () => scenario.measure(pass))
        if (slice) taken.push(slice)
        else slices.delete(scenario)
      }
    }
  } finally {
    for (const server of servers.values()) await server.then((s) => s.stop()).catch(() => {})
  }
  for (const [{ scenario }, taken] of slices) {
    loadSamples.set(scenario.id, [...(loadSamples.get(scenario.id) ?? []), taken])
    logLoaded(round, scenario.id, taken)
  }
  for (const step of order.filter((s): s is ColdScenario => s.type === 'cold')) {
    const sample = await attempt(step.id, round, () => runColdScenario(step, context))
    if (!sample) continue
    coldSamples.set(step.id, [...(coldSamples.get(step.id) ?? []), sample])
    const part = ({ result, stytchCalls }: ColdPart): string =>
      `p50 ${result.p50Ms.toFixed(2)} ms, ${stytchCalls} Stytch calls ${JSON.stringify(result.statuses)}`
    const parts = `${part(sample.distinct)}; stampede ${part(sample.stampede)}`
    log(`round ${round + 1} · ${step.id}: ${parts}`)
  }
}

for (let round = 0; round < settings.rounds; round++)
  await runRound(round % 2 === 0 ? steps : [...steps].reverse(), round)
const withHeap = settings.only.length === 0 || settings.only.includes('heap')
if (withHeap) log(`memory: ${settings.heapTokens} distinct tokens…`)
const heap = withHeap ? await attempt('heap', 0, () => measureMemory(context)) : undefined
await stopAll()

const record: RunRecord = {
  ...{ settings, scenarios: steps, machine, placement, build, compareBuild, startedAt, heap },
  ...{ load: loadSamples, cold: coldSamples, failures, unavailable },
  ...{ elapsedSeconds: performance.now() / 1000, loadAverage: [loadAtStart, loadavg()[0] ?? 0] },
}
const prettier = await import('prettier')
const style = (await prettier.resolveConfig(join(ROOT, 'README.md'))) ?? {}
const markdown = await prettier.format(renderMarkdown(record), { ...style, parser: 'markdown' })
process.stdout.write(`\n${markdown}`)
writeFileSync(settings.out, markdown)
const json = settings.out.replace(/\.md$/, '.json')
const maps = (_key: string, value: unknown) =>
  value instanceof Map ? Object.fromEntries(value) : value
writeFileSync(json, `${JSON.stringify(record, maps, 1)}\n`)
log(`wrote ${settings.out} and ${json}`)
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const from = readme.indexOf('<!-- bench:start -->') + 20
const to = readme.indexOf('<!-- bench:end -->')
if (settings.readme && from > 19 && to > from)
  writeFileSync(join(ROOT, 'README.md'), `${readme.slice(0, from)}\n${markdown}${readme.slice(to)}`)
if (settings.readme)
  log(to > from && from > 19 ? 'wrote README.md' : 'README.md has no bench markers')
