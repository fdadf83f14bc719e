/**
 * The conformance app, one Worker-style module served by every runtime: the Workers example (the
 * shared example app plus the Upstash and Data API adapters, imported from the built package) and
 * a probe that says which runtime answers and where its configuration can come from.
 */
import { Hono } from 'hono'
import { env, getRuntimeKey } from 'hono/adapter'
import example from '../../examples/workers/src/index.ts'

/** What `GET /__runtime` answers. */
export interface RuntimeProbe {
  /** Hono's name for the runtime: `node`, `bun`, `deno` or `workerd`. */
  readonly runtime: string
  /** Whether `env(c)`, where the library reads its settings, holds STYTCH_PROJECT_ID. */
  readonly projectIdInEnv: boolean
  /** Whether a `process.env` exists at all (not on Workers without `nodejs_compat`). */
  readonly processEnvExists: boolean
}

const app = new Hono()
app.get('/__runtime', (c) => {
  const { process } = globalThis as { process?: { env?: object } }
  const probe: RuntimeProbe = {
    runtime: getRuntimeKey(),
    projectIdInEnv: typeof env<Record<string, unknown>>(c).STYTCH_PROJECT_ID === 'string',
    processEnvExists: typeof process?.env === 'object',
  }
  return c.json(probe)
})
app.route('/', example)

export default app
