/**
 * @module
 * What the library reports of its work, when asked to: OpenTelemetry spans and metrics (through
 * `@opentelemetry/api`, which the core never imports: the API is handed over at run time),
 * `onEvent` audit events, and `Server-Timing`. Nothing here exists on a request unless enabled,
 * and no token, secret or seal is ever an attribute, a label or an event field.
 */

/** The parts of an OpenTelemetry span the library uses. */
interface SpanLike {
  setAttributes(attributes: Attributes): unknown
  addEvent(name: string, attributes?: Attributes): unknown
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
}

/** The parts of `@opentelemetry/api` the library uses (so the core has no import of it). */
export interface OpenTelemetryApi {
  readonly trace: {
    getTracerProvider(): TracerProviderLike
    setSpan(context: unknown, span: SpanLike): unknown
  }
  readonly metrics: { getMeterProvider(): MeterProviderLike }
  readonly context: {
    active(): unknown
    with<R>(context: unknown, fn: () => R): R
  }
}

/** An OpenTelemetry `TracerProvider`, as `telemetry: { tracerProvider }` takes it. */
export interface TracerProviderLike {
  getTracer(
    name: string,
    version?: string
  ): { startSpan(name: string, options?: object, context?: unknown): SpanLike }
}

/** An OpenTelemetry `MeterProvider`, as `telemetry: { meterProvider }` takes it. */
export interface MeterProviderLike {
  getMeter(
    name: string,
    version?: string
  ): {
    createCounter(
      name: string,
      options?: object
    ): { add(value: number, attributes?: Attributes): void }
    createHistogram(
      name: string,
      options?: object
    ): { record(value: number, attributes?: Attributes): void }
  }
}

type Attributes = Record<string, string | number | boolean>

/** Where an authenticated request's principal came from. */
export type CacheTier = 'l1' | 'l2' | 'miss'

/**
 * What the library reports, as plain objects, to `onEvent`: the facts of each decision for audit
 * logs, without OpenTelemetry. No token, secret or seal is ever in an event.
 *
 * @example
 * ```ts
 * stytchAuth({ onEvent: (event) => auditLog.write(JSON.stringify(event)) })
 * ```
 */
export type AuthEvent =
  | {
      readonly type: 'authenticated'
      readonly kind: 'member' | 'machine' | 'oauth' | 'api_key' | 'user'
      readonly tier: CacheTier
      readonly memberId: string | null
      readonly clientId: string | null
      /** The API key's id (never the key), for `api_key`. */
      readonly keyId: string | null
      /** The Auth0 user (`sub`), for `user`. */
      readonly userId: string | null
      readonly organizationId: string | null
      readonly durationMs: number
    }
  | {
      readonly type: 'rejected'
      readonly status: number
      /** The error's `type` or `error` (e.g. `token_verification`, `tenancy_mismatch`). */
      readonly reason: string
      readonly durationMs: number
    }
  | {
      readonly type: 'outage'
      /** `stytch_api`, `auth0_api` or `entitlements`: what could not be asked (a 503). */
      readonly reason: string
      readonly durationMs: number
    }
  | { readonly type: 'cache_degraded'; readonly backend: string; readonly reason: string }
  | { readonly type: 'cache_recovered'; readonly backend: string }
  | {
      readonly type: 'revoked'
      readonly sessionId: string | null
      readonly memberId: string | null
    }
  | {
      /** An API key was created, revoked, or rotated (`keyId` the old key, `newKeyId` its successor). */
      readonly type: 'api_key.created' | 'api_key.revoked' | 'api_key.rotated'
      readonly keyId: string
      readonly newKeyId?: string
      readonly organizationId: string
      /** Who did it: the member (or the principal's id) managing the key. */
      readonly actor: string
    }
  | {
      readonly type: 'rate_limited'
      /** The policy's name (`rateLimit({ name })`). */
      readonly name: string
      /** The first 8 hex digits of the key's digest: tells keys apart, names no one. */
      readonly key: string
      readonly limit: number
      readonly windowSeconds: number
      /** `null` when the request can never pass (it costs more than the limit). */
      readonly retryAfterSeconds: number | null
      /** Decided in process because the shared store was down. */
      readonly degraded: boolean
    }

/** One upstream operation in progress: end it with its outcome; retries are events. */
export interface UpstreamCall {
  retry(attempt: number, reason: string): void
  end(outcome: 'ok' | 'error'): void
}

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

/** How telemetry is configured (the resolved `telemetry`, `onEvent`, `serverTiming` options). */
export interface TelemetryOptions {
  readonly api?: OpenTelemetryApi
  readonly tracerProvider?: TracerProviderLike
  readonly meterProvider?: MeterProviderLike
  readonly onEvent?: (event: AuthEvent) => void
  readonly serverTiming: boolean
  readonly report: (message: string) => void
}

const NAME = 'ayz-auth'
const ERROR = 2

/**
 * The library's reporting for one configuration.
 *
 * @example
 * ```ts
 * const observation = telemetry.authentication()
 * const auth = await observation.within(() => verify())
 * observation.end({ auth, tier: 'miss' })
 * ```
 */
export class Telemetry {
  readonly #options: TelemetryOptions
  readonly #tracer: ReturnType<TracerProviderLike['getTracer']> | undefined
  readonly #instruments:
    | {
        readonly authentications: { add(value: number, attributes?: Attributes): void }
        readonly lookups: { add(value: number, attributes?: Attributes): void }
        readonly upstream: { record(value: number, attributes?: Attributes): void }
        readonly breaker: { add(value: number, attributes?: Attributes): void }
        readonly rateLimits: { add(value: number, attributes?: Attributes): void }
      }
    | undefined

  constructor(options: TelemetryOptions) {
    this.#options = options
    const { api } = options
    const tracerProvider = options.tracerProvider ?? api?.trace.getTracerProvider()
    this.#tracer = tracerProvider?.getTracer(NAME)
    const meter = (options.meterProvider ?? api?.metrics.getMeterProvider())?.getMeter(NAME)
    this.#instruments = meter && {
      authentications: meter.createCounter('ayz_auth.authentications', {
        description: 'Authentications, by outcome, reason, credential kind and cache tier',
      }),
      lookups: meter.createCounter('ayz_auth.cache.lookups', {
        description: 'Credentials looked up, by the cache tier that answered (l1, l2, miss)',
      }),
      upstream: meter.createHistogram('ayz_auth.upstream.duration', {
        description: 'Calls to Stytch, the shared cache and the entitlement source',
        unit: 'ms',
      }),
      breaker: meter.createCounter('ayz_auth.breaker.changes', {
        description: 'Backends going down (open) and coming back (closed)',
      }),
      rateLimits: meter.createCounter('ayz_auth.rate_limit.decisions', {
        description: 'Rate-limit decisions, by outcome (allowed, limited, degraded) and policy',
      }),
    }
  }

  /** Starts observing one authentication. */
  authentication(): Observation {
    const started = performance.now()
    const { api, serverTiming } = this.#options
    const span = this.#tracer?.startSpan(
      'ayz_auth.authenticate',
      { kind: 1 },
      api?.context.active()
    )
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
          this.#instruments?.authentications.add(1, { 'ayz_auth.outcome': 'anonymous' })
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
          this.#instruments?.authentications.add(1, attributes)
          this.#instruments?.lookups.add(1, { 'ayz_auth.cache_tier': tier })
          if (serverTiming) timing = `auth;dur=${durationMs.toFixed(2)};desc="${tier}"`
          this.#emit({
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
          this.#instruments?.authentications.add(1, attributes)
          if (serverTiming) timing = `auth;dur=${durationMs.toFixed(2)};desc="${reason}"`
          this.#emit(
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
   * Starts observing a call to an upstream (`stytch`, `cache`, `entitlements`, `policy`), as a
   * child span of the active one and a duration in the upstream histogram.
   */
  upstream(upstream: string, operation: string): UpstreamCall {
    const started = performance.now()
    const { api } = this.#options
    const span = this.#tracer?.startSpan(
      `ayz_auth.${upstream}`,
      { kind: upstream === 'policy' ? 0 : 2, attributes: { 'ayz_auth.operation': operation } },
      api?.context.active()
    )
    return {
      retry: (attempt, reason) =>
        span?.addEvent('retry', { 'ayz_auth.attempt': attempt, 'ayz_auth.reason': reason }),
      end: (outcome) => {
        this.#instruments?.upstream.record(performance.now() - started, {
          'ayz_auth.upstream': upstream,
          'ayz_auth.operation': operation,
          'ayz_auth.outcome': outcome,
        })
        if (outcome === 'error') span?.setStatus({ code: ERROR })
        span?.end()
      },
    }
  }

  /** Runs `fn` as an upstream call (see {@link Telemetry.upstream}). */
  async around<R>(upstream: string, operation: string, fn: () => Promise<R>): Promise<R> {
    const call = this.upstream(upstream, operation)
    try {
      const result = await fn()
      call.end('ok')
      return result
    } catch (error) {
      call.end('error')
      throw error
    }
  }

  /** Records a backend's breaker opening (`failing`) or closing; a shared cache's as an event too. */
  breakerChanged(
    role: 'cache' | 'entitlements' | 'api_keys',
    backend: string,
    failing: boolean,
    reason?: string
  ): void {
    this.#instruments?.breaker.add(1, {
      'ayz_auth.backend': backend,
      'ayz_auth.role': role,
      'ayz_auth.state': failing ? 'open' : 'closed',
    })
    if (role === 'cache')
      this.#emit(
        failing
          ? { type: 'cache_degraded', backend, reason: reason ?? 'unavailable' }
          : { type: 'cache_recovered', backend }
      )
  }

  /** Records a guard's denial (a 403, or the 401 of an anonymous request) after authentication. */
  denied(error: unknown): void {
    const { status, reason } = failureOf(error)
    this.#instruments?.authentications.add(1, {
      'ayz_auth.outcome': status === 503 ? 'outage' : 'denied',
      'ayz_auth.reason': reason,
    })
    this.#emit(
      status === 503
        ? { type: 'outage', reason, durationMs: 0 }
        : { type: 'rejected', status, reason, durationMs: 0 }
    )
  }

  /** Records a change of an organization's API key (never the key). */
  apiKeyChanged(event: Extract<AuthEvent, { readonly keyId: string }>): void {
    this.#emit(event)
  }

  /**
   * Records a rate-limit decision: `allowed`, `limited`, or `degraded` (made in process while the
   * shared store was down); a refusal also as a `rate_limited` event.
   */
  rateLimitDecided(
    outcome: 'allowed' | 'limited' | 'degraded',
    name: string,
    refused?: Omit<Extract<AuthEvent, { type: 'rate_limited' }>, 'type' | 'name'>
  ): void {
    this.#instruments?.rateLimits.add(1, {
      'ayz_auth.outcome': outcome,
      'ayz_auth.rate_limit.name': name,
    })
    if (refused) this.#emit({ type: 'rate_limited', name, ...refused })
  }

  /** Records a revocation. */
  revoked(sessionId: string | null, memberId: string | null): void {
    this.#emit({ type: 'revoked', sessionId, memberId })
  }

  #emit(event: AuthEvent): void {
    const { onEvent, report } = this.#options
    if (!onEvent) return
    try {
      onEvent(event)
    } catch (error) {
      report(`onEvent threw (${error instanceof Error ? error.message : String(error)}); ignored`)
    }
  }
}

/** The status and reason of an error an authentication ended with (never its message). */
function failureOf(error: unknown): { status: number; reason: string } {
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
