import * as v from 'valibot'
import type { Codec } from '../cache/tiered-cache.ts'
import { AuthContext, sessionFieldsOf } from './auth-context.ts'

const IsoDate = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.transform((text) => new Date(text))
)

const CachedSession = v.object({
  memberId: v.pipe(v.string(), v.nonEmpty()),
  sessionId: v.pipe(v.string(), v.nonEmpty()),
  organizationId: v.pipe(v.string(), v.nonEmpty()),
  sessionStartedAt: IsoDate,
  sessionExpiresAt: IsoDate,
  sessionLastAccessedAt: IsoDate,
  authenticatedAt: IsoDate,
  memberEmail: v.nullable(v.string()),
  memberName: v.nullable(v.string()),
  sessionCustomClaims: v.record(v.string(), v.unknown()),
  authenticationFactors: v.array(v.string()),
  rawSession: v.record(v.string(), v.unknown()),
})

/**
 * How a verified session is stored in a shared cache: its session fields as JSON (no token, no
 * entitlements: those are loaded per request), validated on the way back so a corrupt entry is a
 * miss, never a crash.
 *
 * @example
 * ```ts
 * const data = sessionCodec.encode(auth)
 * sessionCodec.decode(JSON.parse(JSON.stringify(data))) // an equal AuthContext
 * ```
 */
export const sessionCodec: Codec<AuthContext> = {
  // Dates become ISO 8601 strings in JSON.stringify.
  encode: (auth) => sessionFieldsOf(auth),
  decode: (data) => {
    const parsed = v.safeParse(CachedSession, data)
    return parsed.success ? new AuthContext(parsed.output) : undefined
  },
}
