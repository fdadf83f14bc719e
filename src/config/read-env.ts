import type { Context } from 'hono'
import { env } from 'hono/adapter'

/** Environment variables as the library reads them. */
export type EnvRecord = Readonly<Record<string, unknown>>

/**
 * The runtime's environment through Hono's `env(c)` (Workers bindings, `process.env`, `Deno.env`),
 * overlaid with `c.env` bindings when they are a plain object of strings (bindings passed to
 * `app.request(path, init, bindings)` in tests, or under a dev server that `env(c)` misdetects).
 * Without a context (e.g. `revokeSession(token)`), the process environment.
 *
 * @example
 * ```ts
 * const vars = readEnv(c)
 * vars.STYTCH_PROJECT_ID // 'project-test-…'
 * ```
 */
export function readEnv(c?: Context): EnvRecord {
  const runtime = safely(() => (c ? env<Record<string, unknown>>(c) : processEnv()))
  const bindings = c?.env
  return isRecord(bindings) && runtime !== bindings
    ? { ...runtime, ...stringsOf(bindings) }
    : runtime
}

function processEnv(): EnvRecord {
  const global = globalThis as {
    process?: { env?: EnvRecord }
    Deno?: { env: { toObject(): EnvRecord } }
  }
  return global.process?.env ?? global.Deno?.env.toObject() ?? {}
}

/** Deno without `--allow-env` throws: the environment then reads as empty. */
function safely(read: () => EnvRecord | undefined): EnvRecord {
  try {
    return read() ?? {}
  } catch {
    return {}
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringsOf(record: Record<string, unknown>): EnvRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => typeof value === 'string'))
}
