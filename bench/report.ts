/**
 * @module
 * Turns the samples of a run into the published tables: medians across rounds, ratios to the
 * baseline of the same round, call counts summed over measured windows, and each target of
 * `targets.ts` marked met, not met or reported, with the numbers it was judged on.
 */
import { tokenHeader } from './carriers.ts'
import type { HeapResult } from './heap/api.ts'
import { int, L1_BOUND, ms, ratios, ratioText, signed, type RunRecord } from './record.ts'
import { baselineOf, SCENARIOS, type ColdScenario, type LoadScenario } from './scenarios/catalog.ts'
import type { ExactSample } from './scenarios/cold-scenario.ts'
import type { LoadSample } from './scenarios/load-scenario.ts'
import { median, sum } from './stats.ts'
import { evaluateTargets, type TargetOutcome } from './targets.ts'

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)

function calls(count: number, requests: number): string {
  if (count === 0) return '0'
  const perRequest = count / Math.max(1, requests)
  return `${int(count)} (${perRequest < 0.01 ? '<0.01' : perRequest.toFixed(2)}/req)`
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
    if (record.unavailable.has(scenario.id) && !samples?.length) {
      rows.push(`| ${scenario.label} | not available |${' — |'.repeat(9)}`)
      continue
    }
    if (!samples || samples.length === 0) continue
    const requests = sum(samples.map((s) => s.requests))
    rows.push(
      `| ${scenario.label} | ${int(median(samples.map((s) => s.rps)))} | ${ms(median(samples.map((s) => s.p50Ms)))} | ${ms(median(samples.map((s) => s.p99Ms)))} | ${baselineOf(scenario) === scenario.id ? '1.00×' : ratioText(ratios(record, scenario.id, baselineOf(scenario)))} | ${ms(median(samples.map((s) => s.cpuMicrosPerRequest)), 1)} | ${baselineOf(scenario) === scenario.id ? '1.00×' : ratioText(ratios(record, scenario.id, baselineOf(scenario), 'cpu'))} | ${int(requests)} | ${calls(sum(samples.map((s) => s.calls.stytchTotal)), requests)} | ${calls(sum(samples.map((s) => s.calls.mongoQueries)), requests)} | ${l2Reads(scenario.id, samples)} |`
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

function targetTable(outcomes: readonly TargetOutcome[]): string {
  const rows = ['| Target | Goal | Measured | |', '|---|---|---|---|']
  for (const { target, goal, measured, status } of outcomes) {
    const verdict = status === 'met' || status === 'not met' ? `**${status}**` : status
    rows.push(`| ${target} | ${goal} | ${measured} | ${verdict} |`)
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

/** Scenarios this build cannot run yet: not failures, a feature still to come. */
function unavailableNotes(record: RunRecord): string[] {
  return [...record.unavailable].map(
    ([id, reason]) =>
      `- Not available with this build (not a failure): ${SCENARIOS.find((s) => s.id === id)?.label ?? id}: ${reason}.`
  )
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
    `- Load: ${record.loadGenerator}${record.loadThreads ? `, ${record.loadThreads} thread${record.loadThreads > 1 ? 's' : ''}` : ''}, ${settings.connections} keep-alive connections. Each round, every app gets a fresh server process (Hono on \`@hono/node-server\`) per set of tokens it receives, shared by the scenarios sending those tokens, by Bearer or by cookie, to any of its routes, so that comparing two ways of sending a token, or two routes, does not also compare two processes; every scenario is primed and warmed up ${settings.warmupSeconds} s on it; then all of them are measured together, ${settings.durationSeconds} s each (the 1-connection rows ${settings.probeSeconds} s) in 1-s slices taken in turn, scenario after scenario, the order reversed every other pass, so that a drift in the machine's speed reaches a scenario and its baseline alike. Throughput is the mean of the slices, latency percentiles their median; a ratio between two scenarios is, per round, the median over the passes of the ratio of their slices in that pass. ` +
      `${settings.rounds} round${settings.rounds > 1 ? 's, the scenario order reversed every other round; medians across rounds, the range of the per-round ratio in brackets' : ''}.`,
    `- Dependencies, each in a process of its own: Stytch is the ayz-auth emulator with ${settings.stytchLatencyMs} ms latency per call; Redis a real redis-server ${machine.redis}; Upstash the REST test server in front of it; MongoDB the wire-protocol test server.`,
    `- The cache-hit scenarios rotate over ${int(settings.hotTokens)} sessions (or session JWTs, or M2M access tokens of 10 M2M clients), each verified once while priming. Stytch calls, Mongo queries and L2 reads are counted by the emulator, the MongoDB server, redis-server and the Upstash server over the measured windows only.`,
    `- Requests carry the token in \`Authorization: Bearer\`, or where the scenario says so in a browser-like \`Cookie\` header (\`${tokenHeader('session-cookie', '<token>')[1]}\`, or \`stytch_session_jwt=<jwt>\` in its place).`,
    `- × baseline: throughput over that of the same app without auth receiving the same requests (the JWT rows: the JWT-sized baseline; the M2M row: the baseline receiving the same M2M tokens, about half a session JWT's size; the cookie rows: the baseline receiving the same \`Cookie\` header), slice by slice within a pass. Server CPU µs/req: CPU time of the server process (all its threads) per request; × baseline by CPU is the baseline's over the scenario's, which is steadier than throughput when other processes compete for the cores.`,
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
  parts.push(
    '',
    'Targets (a difference is in × baseline units, each scenario against its own baseline; *reported* rows have no goal):',
    '',
    targetTable(evaluateTargets(record))
  )
  const notes = [...failureNotes(record), ...unavailableNotes(record)]
  if (notes.length) parts.push('', ...notes)
  parts.push(
    '',
    "Scenarios: *baseline + one empty async middleware* is the floor under any Hono middleware (with one, Hono runs the route through its async middleware chain); *naive* calls `sessions.authenticate` of the `stytch` SDK on every request (as Stytch's examples do); *per-request JWT* runs `jose.jwtVerify` (RS256) on every request against a cached JWKS (the cost of `hono/jwk` or `@hono/stytch-auth` local mode); *ours* is `stytchAuth()` from the built package, " +
      "`ttl: 3600`, `maxVerificationsPerSecond: 100000`, `logLevel: 'ERROR'`; *L1 off* means `l1Ttl: 0.001` (an in-process entry lives 1 ms, so with 1,000 rotating tokens practically every request reads Redis/Upstash: see L2 reads); *+ entitlements* adds `mongoEntitlements()` (organization and user id cached, team read fresh on every request: one aggregate per request); " +
      "*through requirePermission* is a second route of the same app (same `stytchAuth()`, same process) with `requirePermission('documents', 'read')` before its handler (the emulator's default policy lets every member read documents; the policies load while priming, then each decision is local), and *through a pass-through middleware* a third with `(c, next) => next()` in its place, what Hono charges for any second middleware on a route; *M2M token* is a route with `acceptTokens: ['session', 'm2m']` and Stytch M2M access tokens of 10 clients (`read:documents`), each verified locally once while priming; *telemetry on* passes `telemetry: true, serverTiming: true` with OpenTelemetry's SDK registered globally (batching span processor, periodic metric reader, exporters that discard), and is *not available* while the build ignores or rejects those options or the SDK is not installed."
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
      unavailable: Object.fromEntries(record.unavailable),
      targets: evaluateTargets(record),
    },
    null,
    2
  )}\n`
}
