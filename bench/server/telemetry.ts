/**
 * @module
 * OpenTelemetry as an application sets it up, for the telemetry scenarios (ours and
 * `@hono/otel`'s alike): global tracer and meter providers with a batching span processor and a
 * periodic metric reader whose exporters discard (the per-request work is measured, not an
 * exporter's network). Ended spans are counted, so the run can tell spans are emitted at all.
 */
import { metrics, trace } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'

/** Spans ended since {@link installTelemetry}; `undefined` when it was not called in this process. */
export const spans: { ended?: number } = {}

const discard = {
  export: (_items: unknown, done: (result: { code: ExportResultCode }) => void) =>
    done({ code: ExportResultCode.SUCCESS }),
  forceFlush: async () => {},
  shutdown: async () => {},
}

/** The batching span processor, counting the spans it is handed. */
class CountingSpanProcessor extends BatchSpanProcessor {
  override onEnd(span: ReadableSpan): void {
    spans.ended = (spans.ended ?? 0) + 1
    super.onEnd(span)
  }
}

/**
 * Registers the global tracer and meter providers.
 */
export function installTelemetry(): void {
  spans.ended = 0
  const processor = new CountingSpanProcessor(discard)
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor] }))
  const reader = new PeriodicExportingMetricReader({ exporter: discard })
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
}
