/**
 * A closed-loop HTTP load generator: `concurrency` workers, each sending its next request as soon
 * as the previous one is answered, until a time or request budget is spent. Every answer is
 * checked as it arrives (memory stays flat): its status against its kind, and a 503 against the
 * faults of its time.
 */
import type { RequestKind, Traffic, PlannedRequest } from './traffic.ts'
import { allowedStatuses } from './traffic.ts'

/** What a run saw. */
export interface LoadStats {
  requests: number
  readonly byStatus: Map<number, number>
  readonly byKind: Map<RequestKind, Map<number, number>>
  /** Answers no rule allows (first 20 described), e.g. a 503 outside any fault. */
  unexpected: number
  readonly samples: string[]
  /** Request durations in ms (the first `requests` entries). */
  readonly latencies: Float64Array
  durationMs: number
}

/** How a run is driven. */
export interface DriveOptions {
  readonly baseUrl: string
  readonly concurrency: number
  readonly durationMs: number
  readonly maxRequests: number
  /** The requests: a fixed list (sent once each), or a traffic source drawn from until the budget is spent. */
  readonly requests: Traffic | readonly PlannedRequest[]
  /** Whether a 503 from `start` to `end` (ms, `performance.now()`) is explained by a fault. */
  readonly allows503: (start: number, end: number) => boolean
}

/** Longest a client waits for one answer: far beyond any configured timeout, so a hang shows. */
const CLIENT_TIMEOUT_MS = 15_000

/**
 * Sends requests until the budget is spent; the statistics.
 *
 * @example
 * ```ts
 * const stats = await drive({ baseUrl, concurrency: 48, durationMs: 18_000, maxRequests: 200_000, requests: traffic, allows503 })
 * ```
 */
export async function drive(options: DriveOptions): Promise<LoadStats> {
  const list = Array.isArray(options.requests)
    ? (options.requests as readonly PlannedRequest[])
    : undefined
  const traffic = list ? undefined : (options.requests as Traffic)
  const limit = list ? Math.min(list.length, options.maxRequests) : options.maxRequests
  const stats: LoadStats = {
    requests: 0,
    byStatus: new Map(),
    byKind: new Map(),
    unexpected: 0,
    samples: [],
    latencies: new Float64Array(limit),
    durationMs: 0,
  }
  const started = performance.now()
  const deadline = started + options.durationMs
  let issued = 0
  const nextRequest = (): PlannedRequest | undefined => {
    if (issued >= limit || performance.now() >= deadline) return undefined
    const index = issued++
    return list ? list[index] : traffic!.next()
  }

  const worker = async () => {
    for (let request = nextRequest(); request; request = nextRequest()) {
      const start = performance.now()
      const { status, detail } = await send(options.baseUrl, request)
      const end = performance.now()
      record(stats, options, request, status, detail, start, end)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  stats.durationMs = performance.now() - started
  return stats
}

async function send(
  baseUrl: string,
  request: PlannedRequest
): Promise<{ status: number; detail: string }> {
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      headers: request.headers,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    })
    const body = await res.text()
    if (res.status === 200) return { status: 200, detail: '' }
    return { status: res.status, detail: problemWithError(res.status, body, res.headers) }
  } catch (error) {
    return {
      status: 0,
      detail: `no answer: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
}

/** What is wrong with an error answer: every one is a complete JSON body; a 503 says why and when to retry. */
function problemWithError(status: number, body: string, headers: Headers): string {
  let parsed: { error?: unknown; type?: unknown }
  try {
    parsed = JSON.parse(body) as { error?: unknown; type?: unknown }
  } catch {
    return `${status} with an unreadable body: ${body.slice(0, 60)}`
  }
  if (typeof parsed.error !== 'string') return `${status} without an error field`
  if (status !== 503) return ''
  const retryAfter = headers.get('retry-after')
  return retryAfter && (parsed.type === 'stytch_api' || parsed.type === 'entitlements')
    ? ''
    : `503 of type ${String(parsed.type)}, Retry-After ${retryAfter}`
}

function record(
  stats: LoadStats,
  options: DriveOptions,
  request: PlannedRequest,
  status: number,
  detail: string,
  start: number,
  end: number
): void {
  stats.latencies[stats.requests++] = end - start
  stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1)
  let kinds = stats.byKind.get(request.kind)
  if (!kinds) stats.byKind.set(request.kind, (kinds = new Map()))
  kinds.set(status, (kinds.get(status) ?? 0) + 1)
  const problem =
    detail ||
    (!allowedStatuses(request.kind).includes(status)
      ? `${request.kind} answered ${status}`
      : status === 503 && !options.allows503(start, end)
        ? `${request.kind} answered 503 with no fault on (${Math.round(start)}–${Math.round(end)} ms)`
        : '')
  if (!problem) return
  stats.unexpected++
  if (stats.samples.length < 20) stats.samples.push(problem)
}

/** The `fraction` percentile of the first `count` latencies, in ms. */
export function percentile(latencies: Float64Array, count: number, fraction: number): number {
  if (count === 0) return 0
  const sorted = latencies.slice(0, count).sort()
  return sorted[Math.min(count - 1, Math.floor(count * fraction))]!
}
