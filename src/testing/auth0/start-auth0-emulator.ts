/**
 * @module
 * The Auth0 emulator served over HTTP on Node, for tests and local development.
 */
import { auth0Emulator, type Auth0Emulator, type Auth0EmulatorOptions } from './emulator.ts'

/**
 * Options for {@link startAuth0Emulator}: the emulator's (but its URL, which is where it listens),
 * plus where to listen.
 *
 * @example
 * await startAuth0Emulator({ port: 4020, audience: 'https://api.example.com' })
 */
export interface StartAuth0EmulatorOptions extends Omit<Auth0EmulatorOptions, 'baseUrl'> {
  /** Default 0: a free port. */
  port?: number
  /** Default `'127.0.0.1'`. */
  hostname?: string
}

/**
 * An Auth0 emulator listening on a port. The test controls are the emulator's methods.
 *
 * @example
 * const auth0 = await startAuth0Emulator()
 * const token = await auth0.emulator.mintUserToken({ permissions: ['read:documents'] })
 * auth0.emulator.calls.jwks // 0
 * await auth0.close()
 */
export interface RunningAuth0Emulator {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  /** `{url}/`: the `iss` of every token. */
  readonly issuer: string
  /** `{url}/.well-known/jwks.json`. */
  readonly jwksUrl: string
  /** The API identifier tokens are minted for by default. */
  readonly audience: string
  readonly emulator: Auth0Emulator
  /**
   * The environment variables that point ayz-auth at the emulator: `AUTH0_BASE_URL` (the issuer
   * is `{AUTH0_BASE_URL}/`), `AUTH0_DOMAIN` (its host and port) and `AUTH0_API_AUDIENCE`.
   */
  env(): { AUTH0_DOMAIN: string; AUTH0_BASE_URL: string; AUTH0_API_AUDIENCE: string }
  /** Stops listening, closes open connections and ends `latency` waits. */
  close(): Promise<void>
}

/**
 * Serves an {@link Auth0Emulator} with `@hono/node-server` (loaded on demand) on
 * `127.0.0.1`, on a free port unless told otherwise. Its issuer is `http://127.0.0.1:<port>/`.
 *
 * @example
 * import { startAuth0Emulator } from 'ayz-auth/testing'
 *
 * const auth0 = await startAuth0Emulator()
 * Object.assign(process.env, auth0.env())
 * const token = await auth0.emulator.mintUserToken({ permissions: ['read:documents'] })
 * // … exercise the app with `Authorization: Bearer ${token}` …
 * await auth0.close()
 */
export async function startAuth0Emulator(
  options: StartAuth0EmulatorOptions = {}
): Promise<RunningAuth0Emulator> {
  const { port = 0, hostname = '127.0.0.1', ...emulatorOptions } = options
  const emulator = auth0Emulator(emulatorOptions)
  const { serve } = await import('@hono/node-server')
  const { server, address } = await new Promise<{
    server: ReturnType<typeof serve>
    address: { port: number }
  }>((resolve, reject) => {
    const listening = serve(
      { fetch: emulator.fetch, port, hostname, overrideGlobalObjects: false },
      (info) => resolve({ server: listening, address: info })
    )
    listening.once('error', reject)
  })
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  const url = `http://${host}:${address.port}`
  emulator.setBaseUrl(url)
  return {
    url,
    issuer: emulator.issuer,
    jwksUrl: emulator.jwksUrl,
    audience: emulator.audience,
    emulator,
    env: () => ({
      AUTH0_DOMAIN: `${host}:${address.port}`,
      AUTH0_BASE_URL: url,
      AUTH0_API_AUDIENCE: emulator.audience,
    }),
    close: () =>
      new Promise((closed) => {
        emulator.clearFaults()
        server.close(() => closed())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
