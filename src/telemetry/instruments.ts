/**
 * @module
 * The library's OpenTelemetry metrics, created once per configuration from its meter.
 */

type Attributes = Record<string, string | number | boolean>

/** The counters and the histogram the library records into. */
export interface Instruments {
  readonly authentications: { add(value: number, attributes?: Attributes): void }
  readonly lookups: { add(value: number, attributes?: Attributes): void }
  readonly upstream: { record(value: number, attributes?: Attributes): void }
  readonly breaker: { add(value: number, attributes?: Attributes): void }
  readonly rateLimits: { add(value: number, attributes?: Attributes): void }
}

/** A meter, as far as the instruments go (an OpenTelemetry `Meter`). */
interface MeterLike {
  createCounter(
    name: string,
    options?: object
  ): { add(value: number, attributes?: Attributes): void }
  createHistogram(
    name: string,
    options?: object
  ): { record(value: number, attributes?: Attributes): void }
}

/**
 * The instruments of `meter`.
 *
 * @example
 * ```ts
 * const instruments = instrumentsOf(meterProvider.getMeter('ayz-auth'))
 * instruments.lookups.add(1, { 'ayz_auth.cache_tier': 'l1' })
 * ```
 */
export function instrumentsOf(meter: MeterLike): Instruments {
  return {
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
