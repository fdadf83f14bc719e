/**
 * @module
 * The targets the report judges, one row each in {@link TARGETS}, in the table's order: a
 * throughput ratio of two scenarios measured in the same passes ({@link ratio}), the difference of
 * two scenarios' ratios to their own baselines ({@link difference}), or anything else
 * ({@link custom}). A row without a goal is reported, not judged.
 */
import { compare, differences, fixed, int, median, rangeText, ratios } from './record.ts'
import { signed, summarize } from './record.ts'
import type { ColdPart, RunRecord } from './record.ts'

/** What a target measured, and whether that meets its goal (`undefined`: not measured). */
type Verdict = { readonly measured: string; readonly met: boolean | 'reported' } | undefined

/** How a row is judged on a run. */
type Evaluate = (record: RunRecord) => Verdict
/** A row: its name, goal, the scenarios it needs (else not available), and how it is judged. */
type Target = readonly [name: string, goal: string, ids: string[], evaluate: Evaluate]

/** Throughput of `id` over `reference`'s, per round; `atLeast`, when given, judges the median. */
function ratio(name: string, id: string, reference: string, atLeast?: number): Target {
  const evaluate: Evaluate = (record) => {
    const values = ratios(record, id, reference)
    const byCpu = `; by server CPU per request ${rangeText(ratios(record, id, reference, 'cpu'))}`
    const met = atLeast === undefined ? 'reported' : median(values) >= atLeast
    return values.length ? { measured: `${rangeText(values)}${byCpu}`, met } : undefined
  }
  const goal = atLeast === undefined ? 'reported' : `≥ ${atLeast.toFixed(2)}×`
  return [name, `${goal} \`${reference}\``, [id, reference], evaluate]
}

/** `id × its baseline − reference × its baseline`, per round; `within`, when given, judges it. */
function difference(name: string, id: string, reference: string, within?: number): Target {
  const [a, b] = [`\`${id}\``, `\`${reference}\``]
  const evaluate: Evaluate = (record) => {
    const values = differences(record, id, reference)
    const cpu = rangeText(differences(record, id, reference, 'cpu'), '×', 2)
    const own = `${a} ${rangeText(ratios(record, id))}, ${b} ${rangeText(ratios(record, reference))}`
    const measured = `${rangeText(values, '×', 2)} (${own}); by server CPU per request ${cpu}`
    const met = within === undefined ? 'reported' : median(values) >= -within
    return values.length ? { measured, met } : undefined
  }
  return [name, `${a} − ${b} ${within ? `≥ −${within}×` : 'reported'}`, [id, reference], evaluate]
}

/** Any other row: `evaluate` judges it against `goal`. */
const custom = (
  name: string,
  goal: string,
  evaluate: (r: RunRecord) => Verdict,
  ids: string[] = []
): Target => [name, goal, ids, evaluate]

/** The Bearer L1 hit before the library had telemetry, over the bare app, as last published. */
const L1_BEFORE_TELEMETRY = { rps: 0.71, source: 'dist/ of 676e4cc, full mode, not pinned' }

/** Server CPU µs per request `id` adds over `over`, per round. */
const addedCpu = (record: RunRecord, id: string, over: string): number[] =>
  compare(record, [id, over], ([a, b]) => perRequest(a) - perRequest(b), false)
/** Server CPU µs per request of a round. */
const perRequest = (r: { cpuMicros: number; requests: number }) => r.cpuMicros / r.requests

/** Per round: a cold scenario's new-token part, or its stampede. */
const coldParts = (record: RunRecord, id: string, part: 'distinct' | 'stampede'): ColdPart[] =>
  (record.cold.get(id) ?? []).map((sample) => sample[part])

/** The L1 hit's p50 over the baseline's on one connection: latency without queueing. */
function addedLatency(r: RunRecord): Verdict {
  const added = compare(r, ['probe-l1', 'probe-baseline'], ([a, b]) => a.p50Ms - b.p50Ms, false)
  const measured = `${rangeText(added, ' ms', 3)} on 1 connection`
  return added.length ? { measured, met: median(added) <= 0.05 } : undefined
}

/** Today's L1 hit against the one recorded before telemetry (a 0.02× aim is finer than noise). */
function beforeTelemetry(r: RunRecord): Verdict {
  const [now, { rps, source }] = [ratios(r, 'l1'), L1_BEFORE_TELEMETRY]
  const measured = `${rangeText(now)} bare now vs ${rps}× (${source}): ${signed(median(now) - rps, 2)}×`
  return now.length ? { measured, met: 'reported' } : undefined
}

/** What telemetry adds to our L1 hit, against what `@hono/otel` adds to the bare app. */
function telemetryCost(r: RunRecord): Verdict {
  const [ours, otel] = [addedCpu(r, 'l1-telemetry', 'l1'), addedCpu(r, 'otel-baseline', 'baseline')]
  const excess = ours.flatMap((v, round) => (otel[round] === undefined ? [] : [v - otel[round]]))
  const [a, b] = [rangeText(ours, ' µs/req', 1), rangeText(otel, ' µs/req', 1)]
  const spans = (r.load.get('l1-telemetry') ?? []).map((s) => summarize(s).spansPerRequest ?? NaN)
  const measured = `ours ${a} over the L1 hit (${fixed(median(spans))} spans/req), @hono/otel ${b} over bare; throughput × without: ${rangeText(ratios(r, 'l1-telemetry', 'l1'))}`
  return excess.length ? { measured, met: median(excess) <= 0 } : undefined
}

/** Stytch calls of the new tokens sent once each: one per token. */
function callsPerNewToken(r: RunRecord): Verdict {
  const [parts, n] = [coldParts(r, 'cold', 'distinct'), r.settings.coldTokens]
  const answers = parts.map((p) => JSON.stringify(p.result.statuses)).join(', ')
  const measured = `${parts.map((p) => `${p.stytchCalls}/${n}`).join(', ')} calls/tokens per round; answers ${answers}`
  return parts.length
    ? { measured, met: parts.every((p) => p.stytchCalls === n && p.result.statuses['200'] === n) }
    : undefined
}

/** Stytch calls of the stampede: one. */
function stampedeCalls(r: RunRecord): Verdict {
  const parts = coldParts(r, 'cold', 'stampede')
  const measured = `${parts.map((p) => int(p.stytchCalls)).join(', ')} call(s) per round`
  const all = r.settings.stampede
  const met = parts.every((p) => p.stytchCalls === 1 && p.result.statuses['200'] === all)
  return parts.length ? { measured, met } : undefined
}

/** Our p50 over naive's, new tokens sent once each: what we add to Stytch's latency. */
function coldAddedLatency(r: RunRecord): Verdict {
  const p50s = (id: string) => coldParts(r, id, 'distinct').map((p) => p.result.p50Ms)
  const [ours, naive] = [p50s('cold'), p50s('cold-naive')]
  const added = ours.flatMap((v, round) => (naive[round] === undefined ? [] : [v - naive[round]]))
  const measured = `${rangeText(added, ' ms', 2)} vs naive's p50 (ours ${fixed(median(ours))} ms, naive ${fixed(median(naive))} ms; emulator latency ${r.settings.stytchLatencyMs} ms)`
  return added.length ? { measured, met: median(added) <= 1 } : undefined
}

/** Heap growth once the cache is full: bounded when the last 90% of tokens add under 10% of
 * what filling took (+1 MiB of GC noise). */
function boundedMemory(r: RunRecord): Verdict {
  const mib = (n: number) =>
    (r.heap?.checkpoints.find((c) => c.tokens === n)?.heapUsedBytes ?? NaN) / 2 ** 20
  const [filling, beyond] = [mib(10_000) - mib(0), mib(r.settings.heapTokens) - mib(10_000)]
  const measured = `${signed(filling, 1)} MiB filling 10,000 entries, then ${signed(beyond, 1)} MiB up to ${int(r.settings.heapTokens)} tokens`
  const met = beyond <= filling * 0.1 + 1 && r.heap?.failures === 0
  return Number.isFinite(filling + beyond) ? { measured, met } : undefined
}

const OTEL_GOAL = "≤ what @hono/otel's request span adds to bare"
const TELEMETRY_IDS = ['l1-telemetry', 'otel-baseline']

/** Every target, in the order of the table. */
const TARGETS: readonly Target[] = [
  ratio('Session token (Bearer), L1 hit: throughput', 'l1', 'baseline', 0.75),
  custom('Session token (Bearer), L1 hit: added p50 latency', '≤ 0.05 ms', addedLatency),
  ratio('Session token (Bearer): L1 hit vs a hand-written hit', 'l1', 'hand-hit', 0.95),
  ratio('Cookie session token: L1 hit vs a hand-written hit', 'l1-cookie', 'hand-hit-cookie', 0.95),
  ratio('Session JWT (Bearer): L1 hit vs a hand-written hit', 'jwt', 'hand-hit-jwt', 0.95),
  ratio('Session JWT (Bearer): L1 hit vs a Map keyed by the JWT itself', 'jwt', 'hand-hit-jwt-raw'),
  ratio("L1 hit through requirePermission('documents', 'read')", 'l1-permission', 'l1', 0.95),
  ratio('A pass-through middleware on the L1 hit route', 'l1-pass-through', 'l1'),
  custom('Telemetry off (the default): L1 hit vs before telemetry', 'reported', beforeTelemetry),
  custom('Telemetry on: added server CPU per request', OTEL_GOAL, telemetryCost, TELEMETRY_IDS),
  difference('Session token in the cookie vs Bearer, L1 hit', 'l1-cookie', 'l1', 0.05),
  ratio('Session JWT (Bearer): throughput', 'jwt', 'baseline-jwt', 0.7),
  ratio('Session JWT in the stytch_session_jwt cookie', 'jwt-cookie', 'baseline-jwt-cookie', 0.7),
  difference('Session JWT in the cookie vs Bearer', 'jwt-cookie', 'jwt'),
  difference('M2M token, L1 hit, vs the cached session JWT', 'm2m', 'jwt', 0.05),
  ratio('Session JWT (ours) vs per-request JWT', 'jwt', 'jwt-per-request'),
  ratio('L2 Redis hit (L1 off) vs a hand-written Redis read', 'l2-redis', 'hand-redis', 0.8),
  ratio('Entitlements (fresh team) vs a hand-written team read', 'entitlements', 'hand-mongo', 0.9),
  ratio(
    'Entitlements with teamTtl: 60 (and invalidateMember) vs the L1 hit',
    'team-ttl',
    'l1',
    0.7
  ),
  ratio('hono-rate-limiter (RedisStore) on the L1 hit route', 'hono-rate-limiter-redis', 'l1'),
  ratio('Our rateLimit (memory) on the L1 hit route', 'rate-limit-memory', 'l1', 0.95),
  ratio(
    'Our rateLimit vs hono-rate-limiter, Redis',
    'rate-limit-redis',
    'hono-rate-limiter-redis',
    1.2
  ),
  difference('Cached API key vs the cached session JWT', 'api-key', 'jwt', 0.05),
  difference('Cached Auth0 token vs the cached session JWT', 'auth0', 'jwt', 0.05),
  ratio('Cached Auth0 token vs per-request jose.jwtVerify', 'auth0', 'jwt-per-request-auth0', 3),
  custom('Cold: Stytch calls per distinct new token', 'exactly 1', callsPerNewToken),
  custom('Cold: stampede of 1,000 requests for one new token', '1 Stytch call', stampedeCalls),
  custom("Cold: added p50 latency over Stytch's", '≤ 1 ms', coldAddedLatency),
  custom('Memory: 100,000 distinct tokens, L1 bound 10,000', 'no growth beyond it', boundedMemory),
]

/**
 * Every row of {@link TARGETS}, judged on this run (`not available` when the build cannot run one
 * of its scenarios): target, goal, measured, status.
 */
export function evaluateTargets(record: RunRecord): string[][] {
  const statuses = { true: '**met**', false: '**not met**', reported: 'reported' }
  return TARGETS.map(([name, goal, ids, evaluate]) => {
    const missing = ids.filter((id) => record.unavailable.has(id) && !record.load.get(id)?.length)
    const reasons = missing.map((id) => `${id}: ${record.unavailable.get(id)}`).join('; ')
    if (reasons) return [name, goal, reasons, 'not available']
    const verdict = evaluate(record)
    const status = verdict ? statuses[`${verdict.met}`] : 'not measured'
    return [name, goal, verdict?.measured ?? '—', status]
  })
}
