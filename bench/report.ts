/**
 * @module
 * A run as markdown: how it ran, the scenario table (medians across rounds, ratios to the baseline
 * receiving the same requests, by throughput and by server CPU per request), the one-connection
 * latency, two builds side by side (`--compare`), the cold scenarios, the memory, the targets.
 */
import { createRequire } from 'node:module'
import { baselineOf, COMPARED, compareId, rowOf, SCENARIOS, type LoadScenario } from './catalog.ts'
import { REWARM_SECONDS, STEADY_STATE } from './measure.ts'
import { fixed, int, median, rangeText, ratios, signed, summarize } from './record.ts'
import type { ColdPart, HeapCheckpoint, RunRecord, Summary } from './record.ts'
import { tokenHeader } from './spec.ts'
import { evaluateTargets } from './targets.ts'

const autocannon = createRequire(import.meta.url)('autocannon/package.json') as { version: string }

/** The columns of each table (`>`: right-aligned). */
const HEADS = {
  load: 'Scenario|>req/s|>p50 ms|>p99 ms|>× baseline|>server CPU µs/req|>× baseline by CPU|>requests|>Stytch calls|>Mongo queries|>L2 reads',
  probe: 'Scenario|>req/s|>p50 ms|>p90 ms|>p99 ms',
  twins: 'Scenario|>new × baseline|>old × baseline|>new / old|>new / old by CPU',
  cold: 'Scenario|>requests|>req/s|>p50 ms|>p99 ms|>Stytch calls (per round)|responses',
  heap: '>distinct tokens|>heap used, MiB|>growth, MiB',
  targets: 'Target|Goal|Measured| ',
}

/** `intro` and a markdown table of `head`'s columns; nothing without rows. */
function section(intro: string, head: string, rows: readonly string[][]): string[] {
  const columns = head.split('|')
  const rule = columns.map((column) => (column.startsWith('>') ? '--:' : '---'))
  const cells = [columns.map((column) => column.replace(/^>/, '')), rule, ...rows]
  return rows.length
    ? ['', ...(intro ? [intro, ''] : []), ...cells.map((c) => `| ${c.join(' | ')} |`)]
    : []
}

/** Calls over the requests that made them: `1,203 (1.01/req)`. */
function calls(count: number, requests: number): string {
  const each = count / Math.max(1, requests)
  return count ? `${int(count)} (${each < 0.01 ? '<0.01' : each.toFixed(2)}/req)` : '0'
}

/** The loaded scenarios measured or found not available, probes or not, in the tables' order. */
function loaded(record: RunRecord, probe: boolean): LoadScenario[] {
  const order = (id: string) => rowOf(id.replace(/@compare$/, ''))
  return record.scenarios
    .filter((s): s is LoadScenario => s.type === 'load' && s.probe === probe)
    .filter((s) => record.load.get(s.id)?.length || record.unavailable.has(s.id))
    .sort((a, b) => order(a.id) - order(b.id))
}

/** A scenario's rounds summarized: the median across them of `of`, and the total of `of`. */
function acrossRounds(record: RunRecord, id: string) {
  const rounds = (record.load.get(id) ?? []).map(summarize)
  return {
    median: (of: (s: Summary) => number) => median(rounds.map(of)),
    total: (of: (s: Summary) => number) => rounds.reduce((sum, s) => sum + of(s), 0),
  }
}

/** A row of the scenario table. */
function loadRow(record: RunRecord, { id, label }: LoadScenario): string[] {
  const reason = record.unavailable.get(id)
  if (!record.load.get(id)?.length)
    return [`${label}: not available (${reason})`, ...Array(10).fill('—')]
  const { median: of, total } = acrossRounds(record, id)
  const requests = total((s) => s.requests)
  const own = baselineOf(id) === id
  const l2 = total((s) => (id === 'upstash' ? s.upstashRequests : s.redisGets))
  const [stytch, mongo] = [total((s) => s.stytchCalls), total((s) => s.mongoQueries)]
  return [
    ...[label, int(of((s) => s.rps)), fixed(of((s) => s.p50Ms)), fixed(of((s) => s.p99Ms))],
    own ? '1.00×' : rangeText(ratios(record, id)),
    fixed(
      of((s) => s.cpuMicrosPerRequest),
      1
    ),
    own ? '1.00×' : rangeText(ratios(record, id, baselineOf(id), 'cpu')),
    ...[int(requests), calls(stytch, requests), calls(mongo, requests)],
    ['l2-redis', 'hand-redis', 'upstash'].includes(id) ? calls(l2, requests) : '—',
  ]
}

/** A row of the cold table. */
function coldRow(label: string, parts: readonly ColdPart[]): string[] {
  const statuses = new Map<string, number>()
  for (const [status, count] of parts.flatMap((p) => Object.entries(p.result.statuses)))
    statuses.set(status, (statuses.get(status) ?? 0) + count)
  const of = (pick: (p: ColdPart['result']) => number) => median(parts.map((p) => pick(p.result)))
  return [
    ...[label, int(of((r) => r.requests)), int(of((r) => r.rps))],
    ...[fixed(of((r) => r.p50Ms)), fixed(of((r) => r.p99Ms))],
    parts.map((p) => int(p.stytchCalls)).join(' / '),
    [...statuses].map(([status, count]) => `${int(count)}× ${status}`).join(', '),
  ]
}

/** The header: how the run ran. */
function header(record: RunRecord): string[] {
  const { settings: s } = record
  const date = record.startedAt.toISOString().replace('T', ' ').slice(0, 16)
  const base = (record.load.get('baseline') ?? []).map(summarize)
  const busy = Math.round(median(base.map((b) => b.serverBusy)) * 100)
  const generator = fixed(median(base.map((b) => b.generatorMicrosPerRequest)), 1)
  const pace = base.length
    ? ` Under the baseline's load the server's CPU was ${busy}% busy (well under 100%: something else set the pace) and the load generator spent ${generator} µs of its own CPU per request.`
    : ''
  const several =
    's, the order reversed every other round; medians across rounds, the range of the per-round values in brackets'
  const rounds = s.rounds > 1 ? several : ''
  return [
    '## Benchmarks',
    '',
    `\`npm run bench${s.mode === 'quick' ? ' -- --quick' : ''}\` (${s.mode} mode), ${date} UTC, ${Math.round(record.elapsedSeconds)} s. Machine: ${record.machine}; load average ${fixed(record.loadAverage[0])} at the start, ${fixed(record.loadAverage[1])} at the end (other work on the machine adds noise).`,
    '',
    `- Measured: the built package, ${record.build}, imported as users import it (\`ayz-auth\`, \`ayz-auth/ioredis\`, …), from a copy taken when the run started.`,
    `- Placement: ${record.placement}.${pace}`,
    `- Load: autocannon ${autocannon.version} in a process of its own, ${s.connections} keep-alive connections, consecutive requests carrying different tokens. Each round, every app gets a fresh server process (Hono on \`@hono/node-server\`, Node run with \`${STEADY_STATE.join(' ')}\`: each server idles while the others are measured, and V8 would meanwhile shrink its heap and its young generation and flush its compiled code, which a server under steady load keeps) per set of tokens it receives, shared by the scenarios sending those tokens to any of its routes, by Bearer or by cookie; each scenario is primed and warmed up ${s.warmupSeconds} s on it; then all are measured together, ${s.durationSeconds} s each (the 1-connection rows ${s.probeSeconds} s), in 1-s slices, each after ${REWARM_SECONDS} s of unmeasured load (the first fraction of a second after an idle spell costs more), scenario after scenario (those a target compares next to each other), pass after pass, the order reversed every other pass. Throughput is the mean of the slices, latency percentiles their median; a ratio of two scenarios is, per round, the median over the passes of the ratio of their slices in that pass. ${s.rounds} round${rounds}.`,
    `- Dependencies, in a process of their own: the Stytch emulator of \`ayz-auth/testing\` with ${s.stytchLatencyMs} ms latency per call, a real redis-server, the Upstash REST test server in front of it, the MongoDB wire-protocol test server; they count Stytch calls, Mongo queries and L2 reads over the measured slices only.`,
    `- The cache-hit scenarios rotate over ${int(s.hotTokens)} sessions (or session JWTs, or M2M tokens of 10 clients), new each round, each verified once while priming. Requests carry the token in \`Authorization: Bearer\`, or where the row says so in a browser-like \`Cookie\` header (\`${tokenHeader('session-cookie', '<token>').cookie}\`, or \`stytch_session_jwt=<jwt>\` in its place).`,
    "- × baseline: throughput over that of the bare app receiving the same requests (same tokens, same carrier), slice by slice within a pass. Server CPU µs/req: CPU time of the server process (every thread, `/proc/<pid>/stat`) per request; × baseline by CPU is the baseline's over the scenario's, steadier than throughput when other work competes for the cores.",
  ]
}

/** What the scenarios are, under the tables. */
const LEGEND =
  "Scenarios: _baseline + one empty async middleware_ is the floor under any Hono middleware; _naive_ calls `sessions.authenticate` of the `stytch` SDK per request; _per-request JWT_ runs `jose.jwtVerify` (RS256) per request against a cached JWKS (`hono/jwk`, `@hono/stytch-auth` local mode); _hand-written_ rows are what a user would write instead (`bench/server/hand.ts`): the token's SHA-256 (`node:crypto`) looked up in a `Map` (or, in one reported row, the session JWT itself as the key: a cache that holds the credential, which ours never does) that a miss fills from Stytch's `sessions/authenticate` through `fetch`, primed as ours is, plus, for the team row, the library's aggregate per request through the same `mongodb` driver, or, for the Redis row, a `GET` + `JSON.parse` through ioredis instead of the Map, of what our shared entry holds (the session with Stytch's response, 2.7 KB of JSON) without seal or validation; _ours_ is `stytchAuth()` from the built package, `ttl: 3600`, `maxVerificationsPerSecond: 100000`, `logLevel: 'ERROR'`; _L1 off_ is `l1Ttl: 0` (nothing kept in process); _+ entitlements_ adds `mongoEntitlements()` (the team read fresh per request); the `requirePermission`, pass-through and cookie rows are further routes or requests of the same app and process as the L1 hit; _telemetry on_ and _@hono/otel_ run with OpenTelemetry's SDK registered globally (batching span processor, periodic metric reader, exporters that discard); a row _not available_ needs a feature the build lacks, or its server code (`bench/server/ours.ts`)."

/**
 * The run as markdown, for `bench/results.md` and the README's bench section.
 */
export function renderMarkdown(record: RunRecord): string {
  const { settings: s, heap } = record
  const rows = loaded(record, false).map((scenario) => loadRow(record, scenario))
  const probes = loaded(record, true).map(({ id, label }) => {
    const of = acrossRounds(record, id).median
    const latency = [of((p) => p.p50Ms), of((p) => p.p90Ms), of((p) => p.p99Ms)]
    return [label, int(of((p) => p.rps)), ...latency.map((v) => fixed(v, 3))]
  })
  const twins = COMPARED.filter((id) => record.load.get(compareId(id))?.length).map((id) => {
    const [label, twin] = [SCENARIOS.find((x) => x.id === id)?.label ?? id, compareId(id)]
    const all = [ratios(record, id), ratios(record, twin), ratios(record, id, twin)]
    return [label, ...[...all, ratios(record, id, twin, 'cpu')].map((v) => rangeText(v))]
  })
  const cold = record.scenarios.filter((x) => x.type === 'cold' && record.cold.get(x.id)?.length)
  const what = {
    distinct: `cold: ${int(s.coldTokens)} new tokens, each once, ${s.coldConcurrency} concurrent`,
    stampede: `stampede: ${int(s.stampede)} concurrent requests, one new token`,
  }
  const parts = (id: string, part: keyof typeof what) =>
    (record.cold.get(id) ?? []).map((c) => c[part])
  const colds = (['distinct', 'stampede'] as const).flatMap((part) =>
    cold.map(({ id, label }) => coldRow(`${label}, ${what[part]}`, parts(id, part)))
  )
  const start = heap?.checkpoints[0]?.heapUsedBytes ?? 0
  const mib = (bytes: number) => bytes / 2 ** 20
  const heapRow = ({ tokens, heapUsedBytes: b }: HeapCheckpoint) => [
    int(tokens),
    fixed(mib(b), 1),
    signed(mib(b - start), 1),
  ]
  const failed = [...record.load].flatMap(([id, rounds]) => {
    const count = rounds.flat().reduce((total, slice) => total + slice.failures, 0)
    return count ? [`- ⚠ ${id}: ${int(count)} failed or non-2xx responses while measured`] : []
  })
  const notes = [
    ...record.failures.map((failure) => `- ⚠ failed and left out: ${failure}`),
    ...failed,
  ]
  const intros = {
    probe: 'Latency without queueing (1 connection):',
    twins: `Two builds in the same run and passes: new = ${record.build}, old = ${record.compareBuild}; new / old slice by slice:`,
    cold: `Cache misses (exact request counts, each token a new Stytch session; ${int(s.coldWarmupTokens)} other new tokens warm the server up first):`,
    heap: `Memory: ${int(s.heapTokens)} distinct tokens through \`stytchAuth()\` with the default in-process cache (bound 10,000 entries) and \`testVerifier\` (realistic sessions, no network), heap after full GC:`,
    targets:
      'Targets (a difference is in × baseline units, each scenario against its own baseline; _reported_ rows have no goal):',
  }
  return [
    ...header(record),
    ...section('', HEADS.load, rows),
    ...section(intros.probe, HEADS.probe, probes),
    ...section(intros.twins, HEADS.twins, twins),
    ...section(intros.cold, HEADS.cold, colds),
    ...section(intros.heap, HEADS.heap, (heap?.checkpoints ?? []).map(heapRow)),
    ...section(intros.targets, HEADS.targets, evaluateTargets(record)),
    ...(notes.length ? ['', ...notes] : []),
    '',
    LEGEND,
    '',
  ].join('\n')
}
