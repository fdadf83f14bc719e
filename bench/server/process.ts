/**
 * @module
 * A server under test: one app (its {@link ServerSpec} is the first argument, as JSON) on
 * `@hono/node-server` on a free loopback port. It says `{ ready: { port } }`, or
 * `{ ready: { unavailable } }` when the build or the packages lack what the app needs, and
 * answers `spans` (OpenTelemetry spans ended so far, `null` without telemetry). Its CPU time is
 * read from outside (`/proc/<pid>/stat`).
 */
import { serve } from '@hono/node-server'
import { ConfigurationError } from 'ayz-auth'
import { answerCommands } from '../processes.ts'
import { NotAvailable, type ServerSpec } from '../spec.ts'
import { handApp } from './hand.ts'
import { oursApp } from './ours.ts'
import { baselineApp, jwtPerRequestApp, naiveApp, type BenchApp } from './peers.ts'
import { spans } from './telemetry.ts'

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec

async function appOf({ app, fixtures }: ServerSpec): Promise<BenchApp> {
  switch (app.kind) {
    case 'baseline':
      return baselineApp(app.middleware)
    case 'naive':
      return naiveApp(fixtures)
    case 'jwt-per-request':
      return jwtPerRequestApp(fixtures, app.jwks)
    case 'hand':
      return handApp(spec, app)
    case 'ours':
      return oursApp(fixtures, app)
  }
}

process.once('SIGTERM', () => process.exit(0))
answerCommands({ spans: () => spans.ended ?? null })
try {
  const app = await appOf(spec)
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, ({ port }) =>
    process.send?.({ ready: { port } })
  )
} catch (error) {
  // An option the build rejects (ConfigurationError) is a feature it lacks, like a missing export.
  if (!(error instanceof NotAvailable) && !(error instanceof ConfigurationError)) throw error
  process.send?.({ ready: { unavailable: error.message } })
}
