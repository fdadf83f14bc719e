import { B2BClient } from 'stytch'
import {
  stytchEmulator,
  type StytchEmulator,
  type StytchEmulatorOptions,
} from './emulator/emulator.ts'

/**
 * Options for {@link startStytchEmulator}: the emulator's, plus where to listen.
 *
 * @example
 * await startStytchEmulator({ port: 4010, latencyMs: 50 })
 */
export interface StartStytchEmulatorOptions extends StytchEmulatorOptions {
  /** Default 0: a free port. */
  port?: number
  /** Default `'127.0.0.1'`. */
  hostname?: string
}

/**
 * An emulator listening on a port.
 *
 * @example
 * const running = await startStytchEmulator()
 * const { sessionToken } = await running.emulator.seed()
 * await running.client().sessions.authenticate({ session_token: sessionToken })
 * await running.close()
 */
export interface RunningStytchEmulator {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  readonly emulator: StytchEmulator
  readonly projectId: string
  readonly secret: string
  /**
   * A `B2BClient` pointed at the emulator, created once. The SDK takes only an https
   * `custom_base_url`, so the client is given `env: url`, and the SDK prints its one-line note
   * about a custom `env` when it is created.
   */
  client(): B2BClient
  /** The environment variables that point ayz-auth at the emulator. */
  env(): { STYTCH_PROJECT_ID: string; STYTCH_SECRET: string; STYTCH_BASE_URL: string }
  /** Stops listening (connections are refused) but keeps the state and the port number. */
  pause(): Promise<void>
  /** Listens again on the same port. */
  resume(): Promise<void>
  /** Stops listening and releases hung requests. */
  close(): Promise<void>
}

interface Listener {
  readonly port: number
  stop(): Promise<void>
}

type Handler = (request: Request) => Response | Promise<Response>

interface RuntimeGlobals {
  Bun?: {
    serve(options: { port: number; hostname: string; fetch: Handler }): {
      port: number
      stop(closeActiveConnections?: boolean): Promise<void>
    }
  }
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen?: () => void },
      handler: Handler
    ): { addr: { port: number }; shutdown(): Promise<void> }
  }
}

/**
 * Serves a {@link StytchEmulator} over HTTP on Node (`@hono/node-server`, loaded on demand),
 * Bun (`Bun.serve`) or Deno (`Deno.serve`). The `reset` fault destroys the TCP connection only
 * on Node; on Bun and Deno it is answered with a bare 502 instead.
 *
 * @example
 * import { startStytchEmulator } from 'ayz-auth/testing'
 *
 * const running = await startStytchEmulator()
 * Object.assign(process.env, running.env())
 * const { sessionToken } = await running.emulator.seed()
 * // … exercise the app with `Authorization: Bearer ${sessionToken}` …
 * await running.close()
 */
export async function startStytchEmulator(
  options: StartStytchEmulatorOptions = {}
): Promise<RunningStytchEmulator> {
  const { port: requestedPort = 0, hostname = '127.0.0.1', ...emulatorOptions } = options
  const emulator = stytchEmulator(emulatorOptions)
  let listener: Listener | undefined = await listen(emulator, requestedPort, hostname)
  const port = listener.port
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`
  if (emulator.baseUrl === undefined) emulator.setBaseUrl(url)
  let client: B2BClient | undefined

  const stop = async () => {
    const stopping = listener?.stop()
    listener = undefined
    emulator.releaseHungRequests()
    await stopping
  }

  return {
    url,
    emulator,
    projectId: emulator.projectId,
    secret: emulator.secret,
    client: () =>
      (client ??= new B2BClient({
        project_id: emulator.projectId,
        secret: emulator.secret,
        env: `${url}/`,
      })),
    env: () => ({
      STYTCH_PROJECT_ID: emulator.projectId,
      STYTCH_SECRET: emulator.secret,
      STYTCH_BASE_URL: url,
    }),
    pause: stop,
    resume: async () => {
      listener ??= await listen(emulator, port, hostname)
    },
    close: stop,
  }
}

async function listen(emulator: StytchEmulator, port: number, hostname: string): Promise<Listener> {
  const { Bun, Deno } = globalThis as RuntimeGlobals
  // Bun and Deno give a handler no socket to destroy: a `reset` fault becomes a bare 502 there.
  const handler: Handler = async (request) => {
    try {
      return await emulator.fetch(request)
    } catch {
      return new Response('connection reset (emulated)', { status: 502 })
    }
  }
  if (Bun) {
    const server = Bun.serve({ port, hostname, fetch: handler })
    return { port: server.port, stop: () => server.stop(true) }
  }
  if (Deno) {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, handler)
    return { port: server.addr.port, stop: () => server.shutdown() }
  }
  const { serve } = await import('@hono/node-server')
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: emulator.fetch, port, hostname, overrideGlobalObjects: false },
      (address) =>
        resolve({
          port: address.port,
          stop: () =>
            new Promise((stopped) => {
              server.close(() => stopped())
              if ('closeAllConnections' in server) server.closeAllConnections()
            }),
        })
    )
    server.once('error', reject)
  })
}
