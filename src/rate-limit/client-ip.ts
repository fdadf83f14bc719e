import type { Context } from 'hono'
import type { GetConnInfo } from 'hono/conninfo'
import { normalizedIp } from './normalized-ip.ts'

/** Where a request's client address is read. */
export interface ClientIpRules {
  /** Proxies in front of the app that append to `X-Forwarded-For` (0: none, the header is ignored). */
  readonly trustedProxies: number
  /** The adapter's `getConnInfo` (`hono/bun`, `hono/deno`, …), when given: else detected per runtime. */
  readonly getConnInfo: GetConnInfo | undefined
}

/** Whether this is Cloudflare's runtime, where `CF-Connecting-IP` is Cloudflare's own header. */
const ON_WORKERS =
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent ===
  'Cloudflare-Workers'

/**
 * The client address of a request, normalized ({@link normalizedIp}), or `undefined` when it cannot
 * be known. Behind `trustedProxies: n`, the n-th entry from the right of `X-Forwarded-For` (what the
 * outermost trusted proxy saw; entries further left are whatever the client sent); a header with
 * fewer entries, or whose entry is no address, did not come through the proxies, so the
 * connection's own address counts. Without proxies the header is ignored (a client can write
 * anything there).
 *
 * The connection's address comes from `getConnInfo` when given, else from what each runtime hands
 * Hono, as its adapter's `getConnInfo` reads it (no adapter is imported): Node's socket
 * (`@hono/node-server`), Bun's `server.requestIP()`, Deno's `remoteAddr`, and on Cloudflare
 * Workers (only there) the `CF-Connecting-IP` header Cloudflare sets.
 *
 * @example
 * ```ts
 * clientIp(c, { trustedProxies: 1, getConnInfo: undefined }) // '203.0.113.7' from 'X-Forwarded-For: 10.0.0.9, 203.0.113.7'
 * ```
 */
export function clientIp(c: Context, rules: ClientIpRules): string | undefined {
  if (rules.trustedProxies > 0) {
    const entries = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .filter((entry) => entry.trim())
    const entry = entries[entries.length - rules.trustedProxies]
    const forwarded = entry === undefined ? undefined : normalizedIp(entry)
    if (forwarded !== undefined) return forwarded
  }
  const address = rules.getConnInfo ? rules.getConnInfo(c).remote.address : connectionAddress(c)
  return address === undefined ? undefined : normalizedIp(address)
}

/** The connection's address as the runtime gave it to Hono, if it did. */
function connectionAddress(c: Context): string | undefined {
  if (ON_WORKERS) return c.req.header('cf-connecting-ip')
  const bindings: unknown = c.env
  if (!isRecord(bindings)) return undefined
  // @hono/node-server: `{ incoming, outgoing }` (or under `server`, as its conninfo reads it).
  const host = isRecord(bindings.server) ? bindings.server : bindings
  if (isRecord(host.incoming) && isRecord(host.incoming.socket))
    return stringOr(host.incoming.socket.remoteAddress)
  // Bun: the server, `fetch`'s second argument.
  const bun = host as { requestIP?: unknown }
  if (typeof bun.requestIP === 'function') {
    const info: unknown = (bun.requestIP as (request: Request) => unknown).call(bun, c.req.raw)
    return isRecord(info) ? stringOr(info.address) : undefined
  }
  // Deno: `Deno.serve`'s handler info.
  if (isRecord(bindings.remoteAddr)) return stringOr(bindings.remoteAddr.hostname)
  return undefined
}

/** Whether `value` is an object whose fields can be read. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** `value` if it is a string. */
function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
