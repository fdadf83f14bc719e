/**
 * @module
 * `npm run bench`: every scenario of the catalog in one run and one process tree (this
 * orchestrator; the fixture process with redis-server; the exact-count client; a fresh
 * server-under-test process per scenario and round; wrk), then the table on stdout, in
 * `bench/results.md` with the raw samples in `bench/results.json` (quick: `bench/results-quick.*`)
 * and, with `--readme`, in README.md between the bench markers. Pinned (`--pin`, the default of a
 * full run on 2 CPUs or more), the server under test has a CPU to itself and every other process
 * shares another.
 */
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { forkTs, installCleanup, ROOT, setChildEnvironment, stopAll } from './children.ts'
import type { ExactClientApi } from './clients/exact-api.ts'
import type { FixtureApi } from './fixtures/api.ts'
import { createLoadGenerator } from './load.ts'
import { buildInfo, loadAverage, machineInfo } from './machine.ts'
import { NotAvailable } from './not-available.ts'
import { parseSettings } from './options.ts'
import { choosePlacement, pinThisProcess } from './pinning.ts'
import type { RunRecord } from './record.ts'
import { renderJson, renderMarkdown } from './report.ts'
import { RpcClient } from './rpc.ts'
import { SCENARIOS, type LoadScenario, type Scenario, type TokenSet } from './scenarios/catalog.ts'
import { runColdScenario, type ColdSample } from './scenarios/cold-scenario.ts'
import { startServer, type RunContext, type RunningServer } from './scenarios/context.ts'
import { runHeapScenario } from './scenarios/heap-scenario.ts'
import {
  joinedSlices,
  prepareLoadScenario,
  type LoadSample,
  type PreparedScenario,
} from './scenarios/load-scenario.ts'
import { snapshotBuild } from './snapshot.ts'

/**
 * Lifetime of the session JWTs and M2M tokens the JWT scenarios rotate over (a full run lasts
 * under 10 minutes).
 */
const JWT_LIFETIME_SECONDS = 3600

installCleanup()
const parsed = parseSettings(process.argv.slice(2))
// Read before pinning: the CPUs the run may use, not the one this process is confined to.
const machine = machineInfo()
const placement = choosePlacement(parsed.pin, parsed.mode, parsed.cores)
const { pinning } = placement
// Pinned, wrk has one CPU: one thread, not two taking turns on it.
const settings = pinning ? { ...parsed, threads: 1 } : parsed
// Everything this process starts from now on runs on the load's CPU unless placed elsewhere.
if (pinning) pinThisProcess(pinning.load)
const startedAt = new Date()
const clock = performance.now()
const log = (line: string): void => {
  const seconds = Math.round((performance.now() - clock) / 1000)
  process.stderr.write(
    `[${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}] ${line}\n`
  )
}

const selected = (id: string): boolean => settings.only.length === 0 || settings.only.includes(id)
const steps = SCENARIOS.filter((scenario) => selected(scenario.id))
setChildEnvironment({ TSX_TSCONFIG_PATH: await snapshotBuild() })
const build = buildInfo()
const load = await createLoadGenerator(settings.load, pinning?.load)
const loadAtStart = loadAverage()
log(
  `${settings.mode} mode: ${settings.rounds} round(s), ${steps.length} scenario(s); load generator: ${load.description}; ${machine.cpus} CPUs (${machine.model}), Node ${machine.node}; measuring ${build}`
)
log(
  pinning
    ? `pinned (${placement.reason}): server under test on CPU ${pinning.server}; load generator, fixtures, client and orchestrator on CPU ${pinning.load}`
    : `not pinned (${placement.reason}): every process on any CPU`
)

// Pinned, the fixtures (and the redis-server they start) and the client share the load's CPU.
const onLoadCpu = pinning ? { cpu: pinning.load } : {}
const fixtureProcess = forkTs(
  new URL('./fixtures/process.ts', import.meta.url),
  [String(settings.stytchLatencyMs)],
  onLoadCpu
)
const clientProcess = forkTs(new URL('./clients/exact.ts', import.meta.url), [], onLoadCpu)
await Promise.all([once(fixtureProcess, 'message'), once(clientProcess, 'message')])
const fixtures = new RpcClient<FixtureApi>(fixtureProcess)
const info = await fixtures.call('info')
log(
  `fixtures up: Stytch emulator ${info.stytch.url} (${info.stytchLatencyMs} ms), ${info.redisUrl}, Upstash ${info.upstash.url}, ${info.mongoUri}`
)
const needs = (tokens: TokenSet): boolean =>
  steps.some((s) => s.type === 'load' && s.tokens === tokens)
const context: RunContext = {
  settings,
  fixtures,
  info,
  client: new RpcClient<ExactClientApi>(clientProcess),
  load,
  pinning,
  tokens: {
    sessions: needs('sessions') ? await fixtures.call('sessionTokens', settings.hotTokens) : [],
    jwts: needs('jwts')
      ? await fixtures.call('sessionJwts', settings.hotTokens, JWT_LIFETIME_SECONDS)
      : [],
    m2m: needs('m2m')
      ? await fixtures.call('m2mTokens', settings.hotTokens, JWT_LIFETIME_SECONDS)
      : [],
  },
  log,
}

const loadSamples = new Map<string, LoadSample[]>()
const coldSamples = new Map<string, ColdSample[]>()
const push = <T>(map: Map<string, T[]>, id: string, value: T): void => {
  map.set(id, [...(map.get(id) ?? []), value])
}

const failures: string[] = []
const unavailable = new Map<string, string>()

/** How a progress line about step `id` of round `round` starts. */
const prefixOf = (round: number, id: string): string =>
  `round ${round + 1}/${settings.rounds} · ${id}`

/**
 * Runs `work` for one step of a round; a failure (a scenario's server crashing, a dependency timing
 * out) is reported and the run goes on: the table shows what was measured, the notes say what was
 * not. A step the build cannot run yet (NotAvailable: a feature it lacks) is not a failure: it is
 * listed as not available and skipped from then on.
 */
async function attempt<T>(
  id: string,
  round: number,
  work: () => Promise<T>
): Promise<T | undefined> {
  try {
    return await work()
  } catch (error) {
    const prefix = prefixOf(round, id)
    if (error instanceof NotAvailable) {
      unavailable.set(id, error.message)
      log(`${prefix}: not available: ${error.message}`)
      return undefined
    }
    const message = error instanceof Error ? error.message : String(error)
    failures.push(`round ${round + 1}, ${id}: ${message.split('\n')[0] ?? ''}`)
    log(`${prefix}: FAILED: ${message}`)
    return undefined
  }
}

/**
 * One round. Every app of the round's loaded scenarios gets a fresh server per set of tokens it
 * receives, and every scenario is primed and warmed up on its server, in the round's order; then
 * all are measured in 1-s slices, pass after pass, one scenario after another (the order reversed
 * every other pass), so that a slow drift in the machine's speed (other tenants of the host, the
 * CPU's clock) reaches every scenario and its baseline alike instead of whichever ran during it.
 * Scenarios of the same app sending the same tokens share a server (the L1 hit by Bearer and by
 * cookie, and through the app's guarded routes; their baseline), so that comparing two ways of
 * sending a token, or two routes, does not also compare two processes, whose speed differs by more
 * than the targets' tolerances. The cold scenarios follow.
 */
async function runRound(order: readonly Scenario[], round: number): Promise<void> {
  const prefix = (id: string): string => prefixOf(round, id)
  const prepared: PreparedScenario[] = []
  const slices = new Map<PreparedScenario, LoadSample[]>()
  const servers = new Map<string, Promise<RunningServer>>()
  const serverOf = ({ app, tokens }: LoadScenario): Promise<RunningServer> => {
    const key = JSON.stringify([app, tokens])
    const server = servers.get(key) ?? startServer(app, context.info, context.pinning?.server)
    servers.set(key, server)
    return server
  }
  try {
    for (const step of order) {
      if (step.type !== 'load' || unavailable.has(step.id)) continue
      const ready = await attempt(step.id, round, async () =>
        prepareLoadScenario(step, context, await serverOf(step))
      )
      if (!ready) continue
      prepared.push(ready)
      slices.set(ready, [])
    }
    const passes = Math.max(0, ...prepared.map((scenario) => scenario.slices))
    if (prepared.length > 0)
      log(
        `${prefix('measuring')}: ${prepared.length} scenarios ready on ${servers.size} servers, ${passes} interleaved passes`
      )
    for (let pass = 0; pass < passes; pass++) {
      for (const scenario of pass % 2 === 0 ? prepared : [...prepared].reverse()) {
        const taken = slices.get(scenario)
        // A scenario with fewer slices than there are passes is spread evenly over them.
        if (
          !taken ||
          Math.floor(((pass + 1) * scenario.slices) / passes) ===
            Math.floor((pass * scenario.slices) / passes)
        )
          continue
        const slice = await attempt(scenario.scenario.id, round, () => scenario.measure(pass))
        if (slice) taken.push(slice)
        else slices.delete(scenario)
      }
    }
    for (const [{ scenario }, taken] of slices) {
      const sample = joinedSlices(taken)
      push(loadSamples, scenario.id, sample)
      log(
        `${prefix(scenario.id)}: ${Math.round(sample.rps)} req/s, p50 ${sample.p50Ms.toFixed(3)} ms, p99 ${sample.p99Ms.toFixed(2)} ms, ${sample.cpuMicrosPerRequest.toFixed(1)} CPU µs/req (server ${Math.round((sample.cpuMicrosPerRequest * sample.rps) / 1e4)}% of a CPU), ` +
          `Stytch ${sample.calls.stytchTotal}, Mongo ${sample.calls.mongoQueries}, Redis GET ${sample.calls.redisGets}, Upstash ${sample.calls.upstashRequests}` +
          (sample.spansPerRequest === undefined
            ? ''
            : `, ${sample.spansPerRequest.toFixed(2)} spans/req`) +
          (sample.failures ? `, ${sample.failures} FAILURES` : '')
      )
    }
  } finally {
    const started = await Promise.allSettled(servers.values())
    await Promise.all(
      started.map((server) => (server.status === 'fulfilled' ? server.value.stop() : undefined))
    )
  }
  for (const step of order) {
    if (step.type !== 'cold' || unavailable.has(step.id)) continue
    const sample = await attempt(step.id, round, () => runColdScenario(step, context))
    if (!sample) continue
    push(coldSamples, step.id, sample)
    const { distinct, stampede } = sample
    log(
      `${prefix(step.id)}: ${distinct.result.requests} new tokens p50 ${distinct.result.p50Ms.toFixed(2)} ms, ${distinct.calls.stytchTotal} Stytch calls ${JSON.stringify(distinct.result.statuses)}; ` +
        `stampede ${stampede.result.requests} p50 ${stampede.result.p50Ms.toFixed(2)} ms, ${stampede.calls.stytchTotal} Stytch call(s) ${JSON.stringify(stampede.result.statuses)}`
    )
  }
}

for (let round = 0; round < settings.rounds; round++)
  await runRound(round % 2 === 0 ? steps : [...steps].reverse(), round)

let heap: RunRecord['heap']
if (selected('heap')) {
  log(`memory: ${settings.heapTokens.toLocaleString('en-US')} distinct tokens…`)
  heap = await runHeapScenario(settings.heapTokens)
  log(
    `memory: ${heap.checkpoints.map((c) => `${c.tokens}: ${(c.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`
  )
}

await fixtures.call('close')
await load.close()
await stopAll()

const record: RunRecord = {
  settings,
  machine,
  placement,
  loadGenerator: load.description,
  loadThreads: load.threaded ? settings.threads : undefined,
  build,
  startedAt,
  elapsedSeconds: (performance.now() - clock) / 1000,
  loadAverage: { start: loadAtStart, end: loadAverage() },
  load: loadSamples,
  cold: coldSamples,
  heap,
  failures,
  unavailable,
}
const markdown = await formatMarkdown(renderMarkdown(record))
process.stdout.write(`\n${markdown}`)
writeFileSync(settings.out, markdown)
const json = settings.out.replace(/\.md$/, '') + '.json'
writeFileSync(json, renderJson(record))
log(`wrote ${settings.out} and ${json}`)
if (settings.readme) writeReadme(markdown)

/** The markdown as the repository's Prettier formats it (aligned tables), so `npm run format` leaves it alone. */
async function formatMarkdown(text: string): Promise<string> {
  try {
    const prettier = await import('prettier')
    const options = (await prettier.resolveConfig(join(ROOT, 'README.md'))) ?? {}
    return await prettier.format(text, { ...options, parser: 'markdown' })
  } catch (error) {
    log(`markdown left unformatted: ${error instanceof Error ? error.message : String(error)}`)
    return text
  }
}

function writeReadme(table: string): void {
  const readme = join(ROOT, 'README.md')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : ''
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) {
    log(`README.md has no ${start} … ${end} block: not updated`)
    return
  }
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}${text.slice(to)}`)
  log('wrote the table into README.md')
}
