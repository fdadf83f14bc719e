/**
 * @module
 * One authentication, observed: its span (with outcome, kind and cache tier), its counters, its
 * `onEvent` event and its `Server-Timing` value, from start to end.
 */
import type { Instruments } from './instruments.ts'
import type { AuthEvent, CacheTier, OpenTelemetryApi, TracerProviderLike } from './telemetry.ts'

/** One authentication in progress. */
export interface Observation {
  /** Runs `fn` with this authentication's span as the active span (so upstream calls are its children). */
  within<R>(fn: () => R): R
  /**
   * Records the outcome: the principal (and where it came from), no principal (an anonymous
   * request in optional mode), or the error answered (and the tier it was decided after).
   */
  end(
    outcome: { auth: Principalish | null; tier: CacheTier } | { error: unknown; tier: CacheTier }
  ): void
  /** The `Server-Timing` value of this authentication, when enabled. */
  readonly serverTiming: string | undefined
}

/** What telemetry reads of a principal. */
interface Principalish {
  readonly kind: 'member' | 'machine' | 'oauth' | 'api_key' | 'user'
  readonly memberId?: string
  readonly clientId?: string | null
  readonly keyId?: string
  readonly userId?: string
  readonly organizationId?: string | null
}

/** What an observation reports through: the configuration's tracer, instruments and events. */
export interface Reporting {
  readonly tracer: ReturnType<TracerProviderLike['getTracer']> | undefined
  readonly api: OpenTelemetryApi | undefined
  readonly instruments: Instruments | undefined
  readonly serverTiming: boolean
  emit(event: AuthEvent): void
}

/** OpenTelemetry's `SpanStatusCode.ERROR`. */
const ERROR = 2

/**
 * Starts observing one authentication.
 *
 * @example
 * ```ts
 * const observation = observeAuthentication(reporting)
 * observation.end({ auth, tier: 'l1' })
 * ```
 */
export function observeAuthentication(reporting: Reporting): Observation {
  const started = performance.now()
  const { api, serverTiming, tracer, instruments, emit } = reporting
  const span = tracer?.startSpan('ayz_auth.authenticate', { kind: 1 }, api?.context.active())
  let timing: string | undefined
  return {
    within: (fn) =>
      span && api ? api.context.with(api.trace.setSpan(api.context.active(), span), fn) : fn(),
    end: (outcome) => {
      const durationMs = performance.now() - started
      if ('auth' in outcome && !outcome.auth) {
        span?.setAttributes({
          'ayz_auth.outcome': 'anonymous',
          'ayz_auth.cache_tier': outcome.tier,
        })
        instruments?.authentications.add(1, { 'ayz_auth.outcome': 'anonymous' })
        if (serverTiming) timing = `auth;dur=${durationMs.toFixed(2)};desc="anonymous"`
      } else if ('auth' in outcome && outcome.auth) {
        const { auth, tier } = outcome
        const attributes = {
          'ayz_auth.outcome': 'authenticated',
          'ayz_auth.kind': auth.kind,
          'ayz_auth.cache_tier': tier,
        }
        span?.setAttributes({
          ...attributes,
          ...(auth.organizationId ? { 'ayz_auth.organization_id': auth.organizationId } : {}),
        })
        instruments?.authentications.add(1, attributes)
        instruments?.lookups.add(1, { 'ayz_auth.cache_tier': tier })
        if (serverTiming) timing = `auth;dur=${durationMs.toFixed(2)};desc="${tier}"`
        emit({
          type: 'authenticated',
          kind: auth.kind,
          tier,
          memberId: auth.memberId ?? null,
          clientId: auth.clientId ?? null,
          keyId: auth.keyId ?? null,
          userId: auth.userId ?? null,
          organizationId: auth.organizationId ?? null,
          durationMs,
        })
      } else if ('error' in outcome) {
        const { status, reason } = failureOf(outcome.error)
        const outage = status === 503
        const attributes = {
          'ayz_auth.outcome': outage ? 'outage' : 'rejected',
          'ayz_auth.reason': reason,
        }
        span?.setAttributes({
          ...attributes,
          'ayz_auth.cache_tier': outcome.tier,
          'http.response.status_code': status,
        })
        if (outage || status >= 500) span?.setStatus({ code: ERROR, message: reason })
        instruments?.authentications.add(1, attributes)
        if (serverTiming) timing = `auth;dur=${durationMs.toFixed(2)};desc="${reason}"`
        emit(
          outage
            ? { type: 'outage', reason, durationMs }
            : { type: 'rejected', status, reason, durationMs }
        )
      }
      span?.end()
    },
    get serverTiming() {
      return timing
    },
  }
}

/**
 * The status and reason of an error an authentication ended with (never its message).
 *
 * @example
 * ```ts
 * failureOf(new TokenVerificationError()) // { status: 401, reason: 'token_verification' }
 * ```
 */
export function failureOf(error: unknown): { status: number; reason: string } {
  const { status, body } = (error ?? {}) as {
    status?: unknown
    body?: { type?: unknown; error?: unknown }
  }
  if (typeof status !== 'number') return { status: 500, reason: 'internal_error' }
  // The most specific name: `token_verification`, `stytch_api`, or, for a guard's 403 (whose type
  // is the generic `authorization`), its error such as `tenancy_mismatch`.
  const reason = body?.type !== undefined && body.type !== 'authorization' ? body.type : body?.error
  return { status, reason: typeof reason === 'string' ? reason : 'error' }
}
