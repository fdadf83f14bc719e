/**
 * @module
 * OpenTelemetry as an application would set it up for the telemetry scenario: a tracer provider
 * and a meter provider registered as the global ones (`@opentelemetry/api`), with a batching span
 * processor and a periodic metric reader whose exporters discard what they receive (what the
 * library does per request is measured, not an exporter's network). Every ended span is counted,
 * so the run can tell that the library emits spans at all.
 *
 * The SDK packages are optional (dev dependencies once the library has telemetry): they are
 * imported by a name the compiler does not resolve, typed here by the little the bench uses, and
 * when one is missing the scenario is not available.
 */
import { NotAvailable } from '../not-available.ts'

/** The part of `@opentelemetry/api` the bench uses. */
interface OtelApi {
  readonly trace: { setGlobalTracerProvider(provider: object): boolean }
  readonly metrics: { setGlobalMeterProvider(provider: object): boolean }
}

/** `SpanExporter` of `@opentelemetry/sdk-trace-base` (`ExportResult` code 0: success). */
interface SpanExporterLike {
  export(spans: readonly unknown[], done: (result: { code: number }) => void): void
  shutdown(): Promise<void>
  forceFlush(): Promise<void>
}

/** `SpanProcessor` of `@opentelemetry/sdk-trace-base`. */
interface SpanProcessorLike {
  onStart(span: unknown, parentContext: unknown): void
  onEnd(span: unknown): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

/** The part of `@opentelemetry/sdk-trace-base` the bench uses (1.x and 2.x). */
interface SdkTraceBase {
  readonly BasicTracerProvider: new (config?: { spanProcessors?: SpanProcessorLike[] }) => {
    /** 1.x only; 2.x takes the processors in the constructor. */
    addSpanProcessor?: (processor: SpanProcessorLike) => void
  }
  readonly BatchSpanProcessor: new (exporter: SpanExporterLike) => SpanProcessorLike
}

/** `PushMetricExporter` of `@opentelemetry/sdk-metrics`. */
interface MetricExporterLike {
  export(metrics: unknown, done: (result: { code: number }) => void): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

/** The part of `@opentelemetry/sdk-metrics` the bench uses (1.x and 2.x). */
interface SdkMetrics {
  readonly MeterProvider: new (config?: { readers?: object[] }) => {
    /** Older 1.x only; later versions take the readers in the constructor. */
    addMetricReader?: (reader: object) => void
  }
  readonly PeriodicExportingMetricReader: new (options: { exporter: MetricExporterLike }) => object
}

const SUCCESS = { code: 0 }
let ended: number | undefined

/**
 * Spans ended since {@link installTelemetry} (batched or not yet exported included); `undefined`
 * when telemetry was not installed in this process.
 *
 * @example
 * ```ts
 * process.send?.({ spans: id, ended: spansEnded() ?? null })
 * ```
 */
export function spansEnded(): number | undefined {
  return ended
}

async function optional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T
  } catch {
    return undefined
  }
}

/**
 * Registers the global tracer and meter providers; throws {@link NotAvailable} naming the SDK
 * packages that are not installed.
 *
 * @example
 * ```ts
 * if (spec.telemetry) await installTelemetry()
 * ```
 */
export async function installTelemetry(): Promise<void> {
  const names = [
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace-base',
    '@opentelemetry/sdk-metrics',
  ] as const
  const [api, traceBase, sdkMetrics] = await Promise.all([
    optional<OtelApi>(names[0]),
    optional<SdkTraceBase>(names[1]),
    optional<SdkMetrics>(names[2]),
  ])
  if (!api || !traceBase || !sdkMetrics) {
    const missing = names.filter((_, i) => ![api, traceBase, sdkMetrics][i])
    throw new NotAvailable(`OpenTelemetry SDK not installed (${missing.join(', ')})`)
  }

  const discardSpans: SpanExporterLike = {
    export: (_spans, done) => done(SUCCESS),
    shutdown: async () => {},
    forceFlush: async () => {},
  }
  const batch = new traceBase.BatchSpanProcessor(discardSpans)
  ended = 0
  const counting: SpanProcessorLike = {
    onStart: (span, parentContext) => batch.onStart(span, parentContext),
    onEnd: (span) => {
      ended = (ended ?? 0) + 1
      batch.onEnd(span)
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
  }
  const probe = new traceBase.BasicTracerProvider()
  const tracerProvider =
    typeof probe.addSpanProcessor === 'function'
      ? probe
      : new traceBase.BasicTracerProvider({ spanProcessors: [counting] })
  tracerProvider.addSpanProcessor?.(counting)
  api.trace.setGlobalTracerProvider(tracerProvider)

  const discardMetrics: MetricExporterLike = {
    export: (_metrics, done) => done(SUCCESS),
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const reader = new sdkMetrics.PeriodicExportingMetricReader({ exporter: discardMetrics })
  const bare = new sdkMetrics.MeterProvider()
  const meterProvider =
    typeof bare.addMetricReader === 'function'
      ? bare
      : new sdkMetrics.MeterProvider({ readers: [reader] })
  meterProvider.addMetricReader?.(reader)
  api.metrics.setGlobalMeterProvider(meterProvider)
}
