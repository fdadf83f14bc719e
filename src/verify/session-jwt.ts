/**
 * @module
 * Local verification of Stytch B2B session JWTs against the project's JWKS, with the checks the
 * Stytch SDK makes (`aud`, `iss`, `typ: JWT`) plus a pinned `RS256` and the two Stytch claims.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import * as v from 'valibot'
import { AuthContext } from '../context/auth-context.ts'
import { MemberSessionSchema } from './session-from-response.ts'
import type { VerifiedSession } from './session-verifier.ts'

/** What local verification concluded. */
export type JwtOutcome =
  | { readonly status: 'valid'; readonly session: VerifiedSession }
  /** Validly signed and addressed to us, but past its 5-minute `exp`: the session may still live. */
  | { readonly status: 'expired' }
  | { readonly status: 'invalid'; readonly reason: string }
  /** The JWKS could not be fetched: nothing can be concluded. */
  | { readonly status: 'unavailable'; readonly cause: unknown }

/** Verifies session JWTs. */
export interface SessionJwtVerifier {
  verify(jwt: string): Promise<JwtOutcome>
}

const SESSION_CLAIM = 'https://stytch.com/session'
const ORGANIZATION_CLAIM = 'https://stytch.com/organization'
const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'])
/** Seconds of clock skew tolerated between Stytch and this server. */
const CLOCK_TOLERANCE_SECONDS = 5
/**
 * Shortest time between two key-set fetches for a JWT naming an unknown `kid` (jose's default is
 * 30 s). A key Stytch starts signing with just after this process fetched the key set is known
 * within 5 s, while a flood of invented `kid`s costs at most one fetch per 5 s.
 */
const UNKNOWN_KID_REFETCH_MS = 5_000
/** jose codes that mean the key set could not be obtained, not that the token is bad. */
const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC'])

const StytchClaims = v.looseObject({
  sub: v.pipe(v.string(), v.nonEmpty()),
  exp: v.number(),
  [SESSION_CLAIM]: v.looseObject({
    id: v.pipe(v.string(), v.nonEmpty()),
    started_at: MemberSessionSchema.entries.started_at,
    last_accessed_at: MemberSessionSchema.entries.last_accessed_at,
    expires_at: MemberSessionSchema.entries.expires_at,
    authentication_factors: MemberSessionSchema.entries.authentication_factors,
    roles: v.optional(v.array(v.string())),
  }),
  [ORGANIZATION_CLAIM]: v.looseObject({
    organization_id: v.pipe(v.string(), v.nonEmpty()),
    slug: v.optional(v.string()),
  }),
})

/**
 * A verifier for one project's session JWTs. The key set is fetched once and cached (10 minutes,
 * refetched on an unknown `kid` at most every 5 s), so a verification costs no network.
 *
 * @example
 * ```ts
 * const jwts = sessionJwtVerifier({ projectId, baseUrl: 'https://test.stytch.com', timeoutMs: 5000 })
 * const outcome = await jwts.verify(jwt)
 * if (outcome.status === 'valid') outcome.session.auth.memberId
 * ```
 */
export function sessionJwtVerifier(config: {
  readonly projectId: string
  readonly baseUrl: string
  readonly timeoutMs: number
}): SessionJwtVerifier {
  const keys = createRemoteJWKSet(
    new URL(`/v1/b2b/sessions/jwks/${config.projectId}`, config.baseUrl),
    {
      timeoutDuration: Math.round(Math.min(config.timeoutMs, 5000)),
      cooldownDuration: UNKNOWN_KID_REFETCH_MS,
    }
  )
  const options = {
    audience: config.projectId,
    issuer: [`stytch.com/${config.projectId}`, config.baseUrl],
    typ: 'JWT',
    algorithms: ['RS256'],
    requiredClaims: ['exp', 'iat', 'nbf', 'sub'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  }
  return {
    async verify(jwt) {
      let payload: JWTPayload
      try {
        payload = (await jwtVerify(jwt, keys, options)).payload
      } catch (error) {
        return outcomeOf(error)
      }
      const session = sessionFromClaims(payload)
      if (!session)
        return { status: 'invalid', reason: 'the Stytch session claims are missing or malformed' }
      if (session.auth.sessionExpiresAt.getTime() <= Date.now())
        return { status: 'invalid', reason: 'the session has expired' }
      return { status: 'valid', session }
    },
  }
}

function outcomeOf(error: unknown): JwtOutcome {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ERR_JWT_EXPIRED') return { status: 'expired' }
  if (typeof code !== 'string' || UNAVAILABLE_CODES.has(code))
    return { status: 'unavailable', cause: error }
  return { status: 'invalid', reason: code }
}

/** The session a verified JWT's claims describe (`memberName` is not in a JWT: `null`). */
function sessionFromClaims(payload: JWTPayload): VerifiedSession | undefined {
  const parsed = v.safeParse(StytchClaims, payload)
  if (!parsed.success) return undefined
  const claims = parsed.output
  const session = claims[SESSION_CLAIM]
  const organization = claims[ORGANIZATION_CLAIM]
  const customClaims = Object.fromEntries(
    Object.entries(payload).filter(
      ([name]) => !RESERVED_CLAIMS.has(name) && !name.startsWith('https://stytch.com/')
    )
  )
  const auth = new AuthContext({
    memberId: claims.sub,
    sessionId: session.id,
    organizationId: organization.organization_id,
    organizationSlug: organization.slug ?? null,
    sessionStartedAt: session.started_at,
    sessionExpiresAt: session.expires_at,
    sessionLastAccessedAt: session.last_accessed_at,
    authenticatedAt: new Date(),
    memberEmail: emailOf(session.authentication_factors),
    memberName: null,
    sessionCustomClaims: customClaims,
    authenticationFactors: session.authentication_factors.map((factor) => factor.type),
    roles: session.roles ?? [],
    rawSession: {
      member_session: {
        member_session_id: session.id,
        member_id: claims.sub,
        organization_id: organization.organization_id,
        organization_slug: organization.slug ?? null,
        started_at: session.started_at.toISOString(),
        last_accessed_at: session.last_accessed_at.toISOString(),
        expires_at: session.expires_at.toISOString(),
        authentication_factors: session.authentication_factors,
        roles: session.roles ?? [],
        custom_claims: customClaims,
      },
    },
  })
  return { auth, validUntil: Math.min(claims.exp * 1000, session.expires_at.getTime()) }
}

function emailOf(factors: readonly Record<string, unknown>[]): string | null {
  for (const factor of factors) {
    const email = (factor['email_factor'] as { email_address?: unknown } | undefined)?.email_address
    if (typeof email === 'string' && email !== '') return email
  }
  return null
}
