/**
 * The telemetry routes of the conformance app: `/otel/*` behind its own `stytchAuth` reporting to
 * an OpenTelemetry SDK that lives in the app (an in-memory span exporter and a metric reader), to
 * `onEvent` and to `Server-Timing`; and `GET /__telemetry`, outside it, which answers what was
 * reported since it was last asked (span names, ids and attributes, metric names, events), so
 * the suite can check it over HTTP. Nothing it answers is a token: the library puts none in a
 * span, a metric or an event, and the suite checks that too.
 *
 * The app registers no context manager: the runtime's host does, where it has one
 * (`serve-conformance.ts` on Node, Bun and Deno). workerd without `nodejs_compat` has none.
 */
import 'ayz-auth/opentelemetry'
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { Hono } from 'hono'
import { stytchAuth, type AuthEnv, type AuthEvent } from 'ayz-auth'

/** One finished span, as `GET /__telemetry` answers it. */
export interface ExportedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  /** The parent's span id; `null` for a root span. */
  readonly parentSpanId: string | null
  readonly attributes: Readonly<Record<string, unknown>>
}

/** What `GET /__telemetry` answers: what was reported since the previous `GET /__telemetry`. */
export interface ExportedTelemetry {
  readonly spans: readonly ExportedSpan[]
  /** Names of the metrics the reader collected (cumulative: every metric ever recorded). */
  readonly metrics: readonly string[]
  readonly events: readonly AuthEvent[]
}

/** A metric reader collected on demand (the SDK's readers are abstract or export on a timer). */
class OnDemandMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The `/otel/*` routes and the `/__telemetry` report, with their own SDK. */
export function telemetryRoutes(): Hono {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  })
  const reader = new OnDemandMetricReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  let events: AuthEvent[] = []

  const observed = new Hono<AuthEnv>()
  observed.use(
    '*',
    stytchAuth({
      telemetry: { tracerProvider, meterProvider },
      serverTiming: true,
      onEvent: (event) => events.push(event),
    })
  )
  observed.get('/me', (c) => c.json({ memberId: c.var.auth.memberId }))

  const app = new Hono()
  app.route('/otel', observed)
  app.get('/__telemetry', async (c) => {
    const { resourceMetrics } = await reader.collect()
    const report: ExportedTelemetry = {
      spans: spans.getFinishedSpans().map((span) => ({
        name: span.name,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? null,
        attributes: span.attributes,
      })),
      metrics: resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.map((metric) => metric.descriptor.name)
      ),
      events,
    }
    spans.reset()
    events = []
    return c.json(report)
  })
  return app
}
