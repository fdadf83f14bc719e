/**
 * @module
 * Hands `@opentelemetry/api` to the library for `stytchAuth({ telemetry })`: spans and metrics
 * through your OpenTelemetry SDK. On Node, Bun and Deno with a `node_modules` folder this module
 * is loaded on demand; on Workers (and with JSR imports) import it once where you set up
 * telemetry. Without it, and with telemetry off, a bundle holds no OpenTelemetry code.
 *
 * @example
 * ```ts
 * import 'ayz-auth/opentelemetry'
 * app.use('*', stytchAuth({ telemetry: true }))
 * ```
 */
import * as api from '@opentelemetry/api'
import { registerOpenTelemetry } from '../src/runtime/backends.ts'

registerOpenTelemetry(api)
