/**
 * Serves the conformance app on Node, Bun or Deno, whichever runs this file, the way a user of that
 * runtime would (`@hono/node-server`, `Bun.serve`, `Deno.serve`), and announces its URL. Like an
 * OpenTelemetry setup on these runtimes (the Node SDK does the same), it registers a context
 * manager over `AsyncLocalStorage`, which all three have, so spans can have parents.
 */
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import worker from './conformance-worker.ts'

type Handler = (request: Request) => Response | Promise<Response>

/** The two calls this file makes on Bun's and Deno's globals. */
interface RuntimeGlobals {
  Bun?: { serve(options: { port: number; hostname: string; fetch: Handler }): { port: number } }
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen(address: { port: number }): void },
      handler: Handler
    ): unknown
  }
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())

const hostname = '127.0.0.1'
const announce = (port: number) =>
  console.log(`conformance app listening on http://${hostname}:${port}`)
const { Bun, Deno } = globalThis as RuntimeGlobals

if (Bun) {
  announce(Bun.serve({ port: 0, hostname, fetch: worker.fetch }).port)
} else if (Deno) {
  Deno.serve({ port: 0, hostname, onListen: ({ port }) => announce(port) }, worker.fetch)
} else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: worker.fetch, port: 0, hostname }, ({ port }) => announce(port))
}
