/**
 * What a fault-matrix row needs besides its data: an app, the credentials of its requests, and how
 * to switch its fault on and off.
 */
import type { Hono } from 'hono'
import type { StytchAuthOptions } from '../../../src/index.ts'
import type { Bound, ProbeRequest } from '../fault-matrix.ts'
import type { HandlerLedger } from '../ledger.ts'
import { captureLogger, recordingApp, uniquePrefix } from '../recording-app.ts'
import { DATA_API_TIMEOUT_MS, MONGO_TIMEOUT_MS, STYTCH_TIMEOUT_MS, type World } from '../world.ts'

/** A row's app and fault, ready to run. */
export interface Arranged {
  readonly app: Hono
  /** The credential each of the row's requests carries. */
  readonly credentials: Partial<Record<ProbeRequest, string>>
  inject(): Promise<void>
  /** Removes the fault; called once, also when the row fails. */
  remove(): Promise<void>
  /** Further checks while the fault lasts, after the row's requests. */
  checkDuring?(): Promise<void>
  /** Further checks once the fault is removed, after the row's requests. */
  checkAfter?(): Promise<void>
  /** Milliseconds the app may take to serve the `after` requests again (retried until then). */
  readonly recoveryMs?: number
  /** Releases what the row built (after `remove`). */
  dispose?(): Promise<void>
}

/** Builds a row's app, credentials and fault. */
export type Scenario = (world: World, ledger: HandlerLedger) => Promise<Arranged>

/** An app with its own caches (a unique prefix), pointed at the emulator, logging to memory. */
export interface RowApp {
  readonly app: Hono
  readonly logger: ReturnType<typeof captureLogger>
  readonly prefix: string
}

/**
 * A recording app for one row, with the world's Stytch settings and `extra` options.
 *
 * @example
 * ```ts
 * const { app, logger } = rowApp(world, ledger, 'stytch-500')
 * ```
 */
export function rowApp(
  world: World,
  ledger: HandlerLedger,
  label: string,
  extra: StytchAuthOptions = {}
): RowApp {
  const logger = captureLogger()
  const prefix = uniquePrefix(label)
  const app = recordingApp({ ...world.stytchOptions(), logger, prefix, ...extra }, ledger)
  return { app, logger, prefix }
}

/** Sends `token` to `/api/me` and throws unless it is accepted (arranging caches before a fault). */
export async function warm(app: Hono, token: string, path = '/api/me'): Promise<void> {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 200)
    throw new Error(`warming ${path} answered ${res.status}: ${await res.text()}`)
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` until it returns true or `withinMs` passes (then throws `message`). */
export async function until(
  check: () => Promise<boolean>,
  withinMs: number,
  message: string
): Promise<void> {
  const deadline = performance.now() + withinMs
  for (;;) {
    if (await check()) return
    if (performance.now() > deadline) throw new Error(message)
    await sleep(50)
  }
}

/** A fault that is switched on and off by nothing: the row's condition is in its credentials. */
export const NO_FAULT = { inject: async () => {}, remove: async () => {} }

/** Time allowed beyond a configured timeout: event loop, loopback round trips, a busy CI machine. */
export const MARGIN_MS = 500
/** The ioredis adapter's default command timeout. */
export const REDIS_COMMAND_TIMEOUT_MS = 250
/** The Upstash adapter's default command timeout. */
export const UPSTASH_COMMAND_TIMEOUT_MS = 500

/**
 * The longest a request of a row may take, in ms: the configured timeout its bound names (as this
 * suite configures it) plus {@link MARGIN_MS}.
 *
 * @example
 * ```ts
 * limitOf('stytch') // STYTCH_TIMEOUT_MS + MARGIN_MS
 * ```
 */
export function limitOf(bound: Bound): number {
  const timeouts: Record<Bound, number> = {
    stytch: STYTCH_TIMEOUT_MS,
    jwks: Math.min(STYTCH_TIMEOUT_MS, 5000),
    redis: REDIS_COMMAND_TIMEOUT_MS,
    upstash: UPSTASH_COMMAND_TIMEOUT_MS,
    mongo: MONGO_TIMEOUT_MS,
    'data-api': DATA_API_TIMEOUT_MS,
    local: 0,
  }
  return timeouts[bound] + MARGIN_MS
}
