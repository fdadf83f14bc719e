/**
 * @module
 * A server-under-test process: one app (see {@link ServerSpec}) on `@hono/node-server`, on a free
 * loopback port, reported to the orchestrator as `{ ready: port, cpus }` (the CPUs it may run on,
 * to confirm pinned mode's placement); it answers `{ cpu: id }` with
 * its CPU time so far. It exits when the orchestrator stops it or goes away.
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

const app = await appOf(spec)
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (address) =>
  process.send?.({ ready: address.port, cpus: affinityList() })
)
// CPU time of this process (every thread: main, GC helpers, libuv pool), read around a measurement.
process.on('message', (message: unknown) => {
  const id = (message as { cpu?: unknown } | null)?.cpu
  if (typeof id !== 'number') return
  const { user, system } = process.cpuUsage()
  process.send?.({ cpu: id, micros: user + system })
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
