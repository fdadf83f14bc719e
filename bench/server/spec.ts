/**
 * @module
 * Which app a server-under-test process runs, as the orchestrator describes it.
 */
import type { AcceptedToken } from 'ayz-auth'
import type { FixtureInfo } from '../fixtures/api.ts'

/** The app behind `GET /api/me`: without auth, a competitor's approach, or ayz-auth configured one way. */
export type AppSpec =
  | { readonly kind: 'baseline' }
  /** The baseline with one empty async middleware: the floor under any auth middleware. */
  | { readonly kind: 'baseline-middleware' }
  | { readonly kind: 'naive' }
  | { readonly kind: 'jwt-per-request' }
  | {
      readonly kind: 'ours'
      /** Where sessions are cached: in process only, or in Redis/Upstash with the in-process tier turned off. */
      readonly cache: 'memory' | 'redis' | 'upstash'
      /** `load`: entitlements from MongoDB on every request; `require`: plus `requireEntitlement('foresight')`. */
      readonly entitlements: 'none' | 'load' | 'require'
      /**
       * `stytchAuth({ acceptTokens })`: a route that takes these kinds of token (with `entitlements:
       * 'none'`); it answers an M2M token's client id (an API key's id) as `member`.
       */
      readonly acceptTokens?: readonly Exclude<AcceptedToken, 'user'>[]
      /**
       * `telemetry: true, serverTiming: true`, with OpenTelemetry's SDK registered globally (see
       * `server/telemetry.ts`); not available when the SDK is not installed or the built package
       * rejects or ignores the options.
       */
      readonly telemetry?: boolean
    }

/** What a server-under-test process is started with (JSON in its first argument). */
export interface ServerSpec {
  readonly app: AppSpec
  readonly fixtures: FixtureInfo
}

/** The JSON body `GET /api/me` answers (checked once per measurement, before loading). */
export interface MeBody {
  readonly member: string | null
  readonly team?: string | null
}
