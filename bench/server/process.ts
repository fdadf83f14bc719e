/**
 * @module
 * A server-under-test process: one app (see {@link ServerSpec}) on `@hono/node-server`, on a free
 * loopback port, reported to the orchestrator as `{ ready: port, cpus }` (the CPUs it may run on,
 * to confirm pinned mode's placement), or `{ unavailable: reason }` when the app needs what the
 * build or the installed packages lack; it answers `{ cpu: id }` with its CPU time so far and
 * `{ spans: id }` with the spans ended so far (telemetry scenario). It exits when the orchestrator
 * stops it or goes away.
 *
 * Argument: the {@link ServerSpec} as JSON.
 */
import { serve } from '@hono/node-server'
import { baselineApp } from './baseline.ts'
import type { BenchApp } from './common.ts'
import { jwtPerRequestApp } from './jwt-per-request.ts'
import { naiveApp } from './naive.ts'
import { affinityList } from '../pinning.ts'
import { oursApp } from './ours.ts'
import type { ServerSpec } from './spec.ts'
import { spansEnded } from './telemetry.ts'
import { NotAvailable } from '../not-available.ts'

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec

async function appOf({ app, fixtures }: ServerSpec): Promise<BenchApp> {
  switch (app.kind) {
    case 'baseline':
      return baselineApp()
    case 'baseline-middleware':
      return baselineApp(true)
    case 'naive':
      return naiveApp(fixtures)
    case 'jwt-per-request':
      return jwtPerRequestApp(fixtures)
    case 'ours':
      return oursApp(fixtures, app)
  }
}

process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
// CPU time of this process (every thread: main, GC helpers, libuv pool), read around a measurement;
// spans ended so far (telemetry scenario; `null` without telemetry).
process.on('message', (message: unknown) => {
  const asked = message as { cpu?: unknown; spans?: unknown } | null
  if (typeof asked?.cpu === 'number') {
    const { user, system } = process.cpuUsage()
    process.send?.({ cpu: asked.cpu, micros: user + system })
  } else if (typeof asked?.spans === 'number') {
    process.send?.({ spans: asked.spans, ended: spansEnded() ?? null })
  }
})

try {
  const app = await appOf(spec)
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (address) =>
    process.send?.({ ready: address.port, cpus: affinityList() })
  )
} catch (error) {
  // The build or the packages lack what the scenario measures: say so, and wait to be stopped.
  if (!(error instanceof NotAvailable)) throw error
  process.send?.({ unavailable: error.message })
}
