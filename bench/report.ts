/**
 * @module
 * Turns the samples of a run into the published tables: medians across rounds, ratios to the
 * baseline of the same round, call counts summed over measured windows, and each target of issue 7
 * marked met or not met with the number it was judged on.
 */
import { tokenHeader } from './carriers.ts'
import type { HeapResult } from './heap/api.ts'
import type { MachineInfo } from './machine.ts'
import type { Settings } from './options.ts'
import type { Placement } from './pinning.ts'
import { baselineOf, SCENARIOS, type ColdScenario, type LoadScenario } from './scenarios/catalog.ts'
import type { ColdSample, ExactSample } from './scenarios/cold-scenario.ts'
import type { LoadSample } from './scenarios/load-scenario.ts'
import { median, sum } from './stats.ts'

/** Everything a run measured. */
export interface RunRecord {
  readonly settings: Settings
  readonly machine: MachineInfo
  /** Pinned or not, on which CPUs, and why. */
  readonly placement: Placement
  readonly loadGenerator: string
  /** wrk threads, or `undefined` for a one-process generator (autocannon). */
  readonly loadThreads: number | undefined
  /** Which build was measured (commit). */
  readonly build: string
  readonly startedAt: Date
  readonly elapsedSeconds: number
  readonly loadAverage: { readonly start: number; readonly end: number }
  /** Samples by scenario id, indexed by round. */
  readonly load: ReadonlyMap<string, readonly LoadSample[]>
  readonly cold: ReadonlyMap<string, readonly ColdSample[]>
  readonly heap: HeapResult | undefined
  /** Steps that failed, one line each (the run went on without them). */
  readonly failures: readonly string[]
}

/** A target of the issue and how the run did against it. */
export interface TargetOutcome {
  readonly target: string
  readonly goal: string
  readonly measured: string
  /** `undefined` when the run did not measure it (`--only`). */
  readonly met: boolean | undefined
}

const L1_BOUND = 10_000

const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—'
const ms = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '—'
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)
const signed = (value: number, digits: number): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`

function calls(count: number, requests: number): string {
  if (count === 0) return '0'
  const perRequest = count / Math.max(1, requests)
  return `${int(count)} (${perRequest < 0.01 ? '<0.01' : perRequest.toFixed(2)}/req)`
}

/** Per-round throughput ratios `id / referenceId`, rounds where both ran. */
function ratios(record: RunRecord, id: string, referenceId: string): number[] {
  return perRound(record, id, referenceId, (sample, reference) => sample.rps / reference.rps)
}

/**
 * Per-round CPU ratios: the reference's server CPU per request over the scenario's, i.e. the
 * throughput ratio a CPU-bound server would reach with the cores to itself.
 */
function cpuRatios(record: RunRecord, id: string, referenceId: string): number[] {
  return perRound(
    record,
    id,
    referenceId,
    (sample, reference) => reference.cpuMicrosPerRequest / sample.cpuMicrosPerRequest
  )
}

function perRound(
  record: RunRecord,
  id: string,
  referenceId: string,
  ratio: (sample: LoadSample, reference: LoadSample) => number
): number[] {
  const samples = record.load.get(id) ?? []
  const references = record.load.get(referenceId) ?? []
  const values: number[] = []
  samples.forEach((sample, round) => {
    const reference = references[round]
    if (reference) values.push(ratio(sample, reference))
  })
  return values.filter((value) => Number.isFinite(value))
}

function ratioText(values: readonly number[]): string {
  if (values.length === 0) return '—'
  const text = `${median(values).toFixed(2)}×`
  return values.length > 1
    ? `${text} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
    : text
}

function loadScenarios(probe: boolean): LoadScenario[] {
  return SCENARIOS.filter((s): s is LoadScenario => s.type === 'load' && s.probe === probe)
}

function coldScenarios(): ColdScenario[] {
  return SCENARIOS.filter((s): s is ColdScenario => s.type === 'cold')
}

function l2Reads(id: string, samples: readonly LoadSample[]): string {
  if (id === 'l2-redis')
    return calls(sum(samples.map((s) => s.calls.redisGets)), sum(samples.map((s) => s.requests)))
  if (id === 'upstash')
    return calls(
      sum(samples.map((s) => s.calls.upstashRequests)),
      sum(samples.map((s) => s.requests))
    )
  return '—'
}

function loadTable(record: RunRecord): string {
  const rows = [
    '| Scenario | req/s | p50 ms | p99 ms | × baseline | server CPU µs/req | × baseline by CPU | requests | Stytch calls | Mongo queries | L2 reads |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const scenario of loadScenarios(false)) {
    const samples = record.load.get(scenario.id)
    if (!samples || samples.length === 0) continue
    const requests = sum(samples.map((s) => s.requests))
    rows.push(
      `| ${scenario.label} | ${int(median(samples.map((s) => s.rps)))} | ${ms(median(samples.map((s) => s.p50Ms)))} | ${ms(median(samples.map((s) => s.p99Ms)))} | ${baselineOf(scenario) === scenario.id ? '1.00×' : ratioText(ratios(record, scenario.id, baselineOf(scenario)))} | ${ms(median(samples.map((s) => s.cpuMicrosPerRequest)), 1)} | ${baselineOf(scenario) === scenario.id ? '1.00×' : ratioText(cpuRatios(record, scenario.id, baselineOf(scenario)))} | ${int(requests)} | ${calls(sum(samples.map((s) => s.calls.stytchTotal)), requests)} | ${calls(sum(samples.map((s) => s.calls.mongoQueries)), requests)} | ${l2Reads(scenario.id, samples)} |`
    )
  }
  return rows.join('\n')
}

function probeTable(record: RunRecord): string | undefined {
  const rows = ['| Scenario | req/s | p50 ms | p90 ms | p99 ms |', '|---|--:|--:|--:|--:|']
  for (const scenario of loadScenarios(true)) {
    const samples = record.load.get(scenario.id)
    if (!samples || samples.length === 0) continue
    rows.push(
      `| ${scenario.label} | ${int(median(samples.map((s) => s.rps)))} | ${ms(median(samples.map((s) => s.p50Ms)), 3)} | ${ms(median(samples.map((s) => s.p90Ms)), 3)} | ${ms(median(samples.map((s) => s.p99Ms)), 3)} |`
    )
  }
  return rows.length > 2 ? rows.join('\n') : undefined
}

function statusText(samples: readonly ExactSample[]): string {
  const totals = new Map<string, number>()
  for (const { result } of samples) {
    for (const [status, count] of Object.entries(result.statuses))
      totals.set(status, (totals.get(status) ?? 0) + count)
  }
  return [...totals].map(([status, count]) => `${int(count)}× ${status}`).join(', ')
}

function coldRow(label: string, samples: readonly ExactSample[]): string {
  const results = samples.map((s) => s.result)
  const perRound = samples.map((s) => int(s.calls.stytchTotal)).join(' / ')
  return `| ${label} | ${int(median(results.map((r) => r.requests)))} | ${int(median(results.map((r) => r.rps)))} | ${ms(median(results.map((r) => r.p50Ms)))} | ${ms(median(results.map((r) => r.p99Ms)))} | ${perRound} | ${statusText(samples)} |`
}

function coldTable(record: RunRecord): string | undefined {
  const { settings } = record
  const rows = [
    '| Scenario | requests | req/s | p50 ms | p99 ms | Stytch calls (per round) | responses |',
    '|---|--:|--:|--:|--:|--:|---|',
  ]
  for (const scenario of coldScenarios()) {
    const samples = record.cold.get(scenario.id)
    if (!samples || samples.length === 0) continue
    rows.push(
      coldRow(
        `${scenario.label}, cold: ${int(settings.coldTokens)} new tokens, each once, ${settings.coldConcurrency} concurrent`,
        samples.map((s) => s.distinct)
      )
    )
  }
  for (const scenario of coldScenarios()) {
    const samples = record.cold.get(scenario.id)
    if (!samples || samples.length === 0) continue
    rows.push(
      coldRow(
        `${scenario.label}, stampede: ${int(settings.stampede)} concurrent requests, one new token`,
        samples.map((s) => s.stampede)
      )
    )
  }
  return rows.length > 2 ? rows.join('\n') : undefined
}

function heapTable(heap: HeapResult): string {
  const base = heap.checkpoints[0]?.heapUsedBytes ?? 0
  const rows = [
    '| distinct tokens authenticated | heap used after GC, MiB | growth since start, MiB |',
    '|--:|--:|--:|',
  ]
  for (const { tokens, heapUsedBytes } of heap.checkpoints) {
    rows.push(
      `| ${int(tokens)} | ${mb(heapUsedBytes)} | ${signed((heapUsedBytes - base) / 2 ** 20, 1)} |`
    )
  }
  return rows.join('\n')
}

/** `; answers other than 200: 1× 503`, or nothing when every request got a 200. */
function otherAnswers(samples: readonly ExactSample[]): string {
  const others = new Map<string, number>()
  for (const { result } of samples) {
    for (const [status, count] of Object.entries(result.statuses)) {
      if (status !== '200') others.set(status, (others.get(status) ?? 0) + count)
    }
  }
  return others.size
    ? `; answers other than 200: ${[...others].map(([status, count]) => `${int(count)}× ${status}`).join(', ')}`
    : ''
}

function heapAt(heap: HeapResult, tokens: number): number | undefined {
  return heap.checkpoints.find((checkpoint) => checkpoint.tokens === tokens)?.heapUsedBytes
}

/**
 * Each target of issue 7, judged on this run's medians.
 *
 * @example
 * ```ts
 * for (const { target, met } of evaluateTargets(record)) console.log(target, met)
 * ```
 */
export function evaluateTargets(record: RunRecord): TargetOutcome[] {
  const outcomes: TargetOutcome[] = []
  const ratioTarget = (
    target: string,
    id: string,
    referenceId: string,
    goal: number,
    goalText: string,
    note = ''
  ) => {
    const values = ratios(record, id, referenceId)
    const byCpu = cpuRatios(record, id, referenceId)
    outcomes.push({
      target,
      goal: goalText,
      measured: values.length
        ? `${ratioText(values)}${note}; by server CPU per request ${ratioText(byCpu)}`
        : 'not measured',
      met: values.length ? median(values) >= goal : undefined,
    })
  }
  const floor = ratios(record, 'baseline-middleware', 'baseline')
  const floorByCpu = cpuRatios(record, 'baseline-middleware', 'baseline')
  ratioTarget(
    'L1 hit: throughput',
    'l1',
    'baseline',
    0.9,
    '≥ 0.90× baseline',
    floor.length
      ? ` (an empty async middleware alone: ${ratioText(floor)}, by CPU ${ratioText(floorByCpu)}; L1 hit vs that: ${ratioText(ratios(record, 'l1', 'baseline-middleware'))})`
      : ''
  )

  const probeL1 = record.load.get('probe-l1') ?? []
  const probeBase = record.load.get('probe-baseline') ?? []
  const added = probeL1.flatMap((sample, round) => {
    const base = probeBase[round]
    return base ? [sample.p50Ms - base.p50Ms] : []
  })
  const loadedL1 = record.load.get('l1') ?? []
  const loadedBase = record.load.get('baseline') ?? []
  const loadedAdded = loadedL1.flatMap((sample, round) => {
    const base = loadedBase[round]
    return base ? [sample.p50Ms - base.p50Ms] : []
  })
  outcomes.push({
    target: 'L1 hit: added p50 latency',
    goal: '≤ 0.05 ms',
    measured: added.length
      ? `${signed(median(added), 3)} ms on 1 connection${added.length > 1 ? ` (per round: ${added.map((value) => signed(value, 3)).join(', ')})` : ''}${loadedAdded.length ? ` (${signed(median(loadedAdded), 2)} ms at ${record.settings.connections} connections, queueing included)` : ''}`
      : 'not measured',
    met: added.length ? median(added) <= 0.05 : undefined,
  })
  ratioTarget('L2 Redis hit (L1 off): throughput', 'l2-redis', 'baseline', 0.6, '≥ 0.60× baseline')
  const jwtVsPlain = ratios(record, 'jwt', 'baseline')
  ratioTarget(
    'JWT (ours): throughput',
    'jwt',
    'baseline-jwt',
    0.85,
    '≥ 0.85× baseline',
    ` vs the baseline receiving the same JWT-sized requests${jwtVsPlain.length ? ` (${median(jwtVsPlain).toFixed(2)}× the session-token baseline)` : ''}`
  )
  ratioTarget('JWT (ours) vs per-request JWT', 'jwt', 'jwt-per-request', 3, '≥ 3×')

  const cold = record.cold.get('cold') ?? []
  const naiveCold = record.cold.get('cold-naive') ?? []
  const n = record.settings.coldTokens
  outcomes.push({
    target: 'Cold: Stytch calls per distinct new token',
    goal: 'exactly 1',
    measured: cold.length
      ? `${cold.map((s) => `${int(s.distinct.calls.stytchTotal)}/${int(n)}`).join(', ')} calls/tokens per round${otherAnswers(cold.map((s) => s.distinct))}`
      : 'not measured',
    met: cold.length
      ? cold.every(
          (s) => s.distinct.calls.stytchTotal === n && s.distinct.result.statuses['200'] === n
        )
      : undefined,
  })
  outcomes.push({
    target: `Cold: stampede of ${int(record.settings.stampede)} concurrent requests for one new token`,
    goal: '1 Stytch call',
    measured: cold.length
      ? `${cold.map((s) => int(s.stampede.calls.stytchTotal)).join(', ')} call(s) per round`
      : 'not measured',
    met: cold.length
      ? cold.every(
          (s) =>
            s.stampede.calls.stytchTotal === 1 &&
            s.stampede.result.statuses['200'] === record.settings.stampede
        )
      : undefined,
  })
  const coldAdded = cold.flatMap((sample, round) => {
    const naive = naiveCold[round]
    return naive ? [sample.distinct.result.p50Ms - naive.distinct.result.p50Ms] : []
  })
  const latency = record.settings.stytchLatencyMs
  outcomes.push({
    target: "Cold: added p50 latency over Stytch's",
    goal: '≤ 1 ms',
    measured: coldAdded.length
      ? `${signed(median(coldAdded), 2)} ms vs naive's p50 (ours ${ms(median(cold.map((s) => s.distinct.result.p50Ms)))} ms, naive ${ms(median(naiveCold.map((s) => s.distinct.result.p50Ms)))} ms; emulator latency ${latency} ms)`
      : 'not measured',
    met: coldAdded.length ? median(coldAdded) <= 1 : undefined,
  })

  const heap = record.heap
  const atBound = heap && heapAt(heap, L1_BOUND)
  const atEnd = heap && heapAt(heap, record.settings.heapTokens)
  const atStart = heap?.checkpoints[0]?.heapUsedBytes
  if (heap && atBound !== undefined && atEnd !== undefined && atStart !== undefined) {
    const growth = atEnd - atBound
    const perBound = atBound - atStart
    outcomes.push({
      target: `Memory: ${int(record.settings.heapTokens)} distinct tokens, default L1 bound (${int(L1_BOUND)})`,
      goal: 'no growth beyond the bound',
      measured: `${signed(perBound / 2 ** 20, 1)} MiB filling ${int(L1_BOUND)} entries, then ${signed(growth / 2 ** 20, 1)} MiB from ${int(L1_BOUND)} to ${int(record.settings.heapTokens)} tokens`,
      // Bounded: the last 90% of tokens add less than 10% of what filling the cache took, plus 1 MiB of GC noise.
      met: growth <= perBound * 0.1 + 2 ** 20 && heap.failures === 0,
    })
  } else {
    outcomes.push({
      target: 'Memory: distinct tokens, default L1 bound',
      goal: 'no growth beyond the bound',
      measured: 'not measured',
      met: undefined,
    })
  }
  return outcomes
}

function targetTable(outcomes: readonly TargetOutcome[]): string {
  const rows = ['| Target | Goal | Measured | |', '|---|---|---|---|']
  for (const { target, goal, measured, met } of outcomes) {
    rows.push(
      `| ${target} | ${goal} | ${measured} | ${met === undefined ? 'not measured' : met ? '**met**' : '**not met**'} |`
    )
  }
  return rows.join('\n')
}

function failureNotes(record: RunRecord): string[] {
  const notes: string[] = record.failures.map((failure) => `- ⚠ failed and left out: ${failure}`)
  for (const [id, samples] of record.load) {
    const failures = sum(samples.map((s) => s.failures))
    if (failures > 0)
      notes.push(`- ⚠ ${id}: ${int(failures)} failed or non-2xx responses during measurement`)
  }
  if (record.heap && record.heap.failures > 0)
    notes.push(`- ⚠ memory: ${int(record.heap.failures)} non-200 responses`)
  return notes
}

/** The command that reproduces the run's mode and placement. */
function commandOf(record: RunRecord): string {
  const { settings, placement } = record
  const flags = settings.mode === 'quick' ? ['--quick'] : []
  const defaultPinned = settings.mode === 'full'
  if (placement.pinning && settings.cores) flags.push(`--cores ${settings.cores.join(',')}`)
  else if (placement.pinning && !defaultPinned) flags.push('--pin')
  else if (!placement.pinning && defaultPinned && settings.pin === 'off') flags.push('--no-pin')
  return `npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}`
}

/** Which process ran on which CPU. */
function placementText(record: RunRecord): string {
  const { pinning, reason } = record.placement
  if (!pinning) {
    return `- Placement: not pinned (${reason}): every process may run on any of the ${record.machine.cpus} CPUs, the server under test competing with the load generator and the dependencies.`
  }
  const busy = median(
    (record.load.get('baseline') ?? []).map((s) => (s.cpuMicrosPerRequest * s.rps) / 1e6)
  )
  return (
    `- Placement: pinned (${reason}), with \`taskset -c\`: the server under test alone on CPU ${pinning.server}; the load generator, the dependencies (Stytch emulator, redis-server, Upstash and MongoDB servers), the exact-count client and the orchestrator on CPU ${pinning.load}.` +
    (Number.isFinite(busy)
      ? ` The server's CPU was ${Math.round(busy * 100)}% busy under the baseline's load (near 100%: the server, not the load generator or other work on the machine, sets the pace).`
      : '')
  )
}

/**
 * The run as markdown: settings and machine, the tables, the targets.
 *
 * @example
 * ```ts
 * writeFileSync('bench/results.md', renderMarkdown(record))
 * ```
 */
export function renderMarkdown(record: RunRecord): string {
  const { settings, machine } = record
  const date = record.startedAt.toISOString().replace('T', ' ').slice(0, 16)
  const command = commandOf(record)
  const parts = [
    `## Benchmarks`,
    '',
    `\`${command}\` (${settings.mode} mode), ${date} UTC, ${Math.round(record.elapsedSeconds)} s. ` +
      `Machine: ${machine.cpus} CPUs (${machine.model}), ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.kernel}, Node ${machine.node}; ` +
      `load average ${record.loadAverage.start.toFixed(2)} at the start, ${record.loadAverage.end.toFixed(2)} at the end (other work on the machine adds noise).`,
    '',
    `- Measured: the built package, ${record.build}, imported as users import it (\`ayz-auth\`, \`ayz-auth/ioredis\`, …).`,
    placementText(record),
    `- Load: ${record.loadGenerator}${record.loadThreads ? `, ${record.loadThreads} thread${record.loadThreads > 1 ? 's' : ''}` : ''}, ${settings.connections} keep-alive connections. Each scenario runs in a fresh server process (Hono on \`@hono/node-server\`): priming, ${settings.warmupSeconds} s warm-up, ${settings.durationSeconds} s measured. ` +
      `${settings.rounds} round${settings.rounds > 1 ? 's, the scenario order reversed every other round; medians across rounds, the range of the per-round ratio in brackets' : ''}.`,
    `- Dependencies, each in a process of its own: Stytch is the ayz-auth emulator with ${settings.stytchLatencyMs} ms latency per call; Redis a real redis-server ${machine.redis}; Upstash the REST test server in front of it; MongoDB the wire-protocol test server.`,
    `- The cache-hit scenarios rotate over ${int(settings.hotTokens)} sessions (or session JWTs), each verified once while priming. Stytch calls, Mongo queries and L2 reads are counted by the emulator, the MongoDB server, redis-server and the Upstash server over the measured windows only.`,
    `- Requests carry the token in \`Authorization: Bearer\`, or where the scenario says so in a browser-like \`Cookie\` header (\`${tokenHeader('session-cookie', '<token>')[1]}\`, or \`stytch_session_jwt=<jwt>\` in its place).`,
    `- × baseline: throughput over that of the same app without auth receiving the same requests (the JWT rows: the JWT-sized baseline; the cookie rows: the baseline receiving the same \`Cookie\` header), in the same round. Server CPU µs/req: CPU time of the server process (all its threads) per request; × baseline by CPU is the baseline's over the scenario's, which is steadier than throughput when other processes compete for the cores.`,
  ]
  if (record.load.size > 0) parts.push('', loadTable(record))
  const probes = probeTable(record)
  if (probes) parts.push('', 'Latency without queueing (1 connection, 1 thread):', '', probes)
  const cold = coldTable(record)
  if (cold) {
    parts.push(
      '',
      `Cache misses (exact request counts, sent by a Node client in its own process; every token is a new Stytch session; ${int(settings.coldWarmupTokens)} other new tokens warm the server up first):`,
      '',
      cold
    )
  }
  if (record.heap) {
    parts.push(
      '',
      `Memory: ${int(settings.heapTokens)} distinct tokens authenticated through \`stytchAuth()\` with the default in-process cache (bound ${int(L1_BOUND)} entries) and \`testVerifier\` (realistic session objects, no network), heap after full GC:`,
      '',
      heapTable(record.heap)
    )
  }
  parts.push('', 'Targets (issue 7):', '', targetTable(evaluateTargets(record)))
  const notes = failureNotes(record)
  if (notes.length) parts.push('', ...notes)
  parts.push(
    '',
    "Scenarios: *baseline + one empty async middleware* is the floor under any Hono middleware (with one, Hono runs the route through its async middleware chain); *naive* calls `sessions.authenticate` of the `stytch` SDK on every request (as Stytch's examples do); *per-request JWT* runs `jose.jwtVerify` (RS256) on every request against a cached JWKS (the cost of `hono/jwk` or `@hono/stytch-auth` local mode); *ours* is `stytchAuth()` from the built package, " +
      "`ttl: 3600`, `maxVerificationsPerSecond: 100000`, `logLevel: 'ERROR'`; *L1 off* means `l1Ttl: 0.001` (an in-process entry lives 1 ms, so with 1,000 rotating tokens practically every request reads Redis/Upstash: see L2 reads); *+ entitlements* adds `mongoEntitlements()` (organization and user id cached, team read fresh on every request: one aggregate per request)."
  )
  return `${parts.join('\n')}\n`
}

/**
 * The run's raw samples as JSON (maps as objects), written next to the markdown so every number in
 * the table can be checked against what was measured.
 *
 * @example
 * ```ts
 * writeFileSync('bench/results.json', renderJson(record))
 * ```
 */
export function renderJson(record: RunRecord): string {
  return `${JSON.stringify(
    {
      ...record,
      settings: { ...record.settings, out: undefined },
      load: Object.fromEntries(record.load),
      cold: Object.fromEntries(record.cold),
      targets: evaluateTargets(record),
    },
    null,
    2
  )}\n`
}
