/**
 * @module
 * What the library reports of its work, when asked to: OpenTelemetry spans and metrics (through
 * `@opentelemetry/api`, which the core never imports: the API is handed over at run time),
 * `onEvent` audit events, and `Server-Timing`. Nothing here exists on a request unless enabled,
 * and no token, secret or seal is ever an attribute, a label or an event field.
 */

import { instrumentsOf, type Instruments } from './instruments.ts'
import {
  failureOf,
  observeAuthentication,
  type Observation,
  type Reporting,
} from './observation.ts'

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
/** OpenTelemetry's `SpanStatusCode.ERROR`. */
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
  readonly #instruments: Instruments | undefined
  readonly #reporting: Reporting

  constructor(options: TelemetryOptions) {
    this.#options = options
    const { api } = options
    const tracerProvider = options.tracerProvider ?? api?.trace.getTracerProvider()
    this.#tracer = tracerProvider?.getTracer(NAME)
    const meter = (options.meterProvider ?? api?.metrics.getMeterProvider())?.getMeter(NAME)
    this.#instruments = meter && instrumentsOf(meter)
    this.#reporting = {
      tracer: this.#tracer,
      api,
      instruments: this.#instruments,
      serverTiming: options.serverTiming,
      emit: (event) => this.#emit(event),
    }
  }

  /** Starts observing one authentication. */
  authentication(): Observation {
    return observeAuthentication(this.#reporting)
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
