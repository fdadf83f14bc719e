/**
 * @module
 * Local verification of the JWTs a Stytch B2B project signs: session JWTs, M2M access tokens and
 * Connected Apps access tokens, against the project's JWKS, with the checks the Stytch SDK makes
 * (`aud`, `iss`, `typ: JWT`) plus a pinned `RS256`. The kind is told apart by the claims: the
 * session claim makes a session JWT; otherwise `scope` with the organization claim an OAuth token,
 * `scope` without it an M2M token.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import * as v from 'valibot'
import { AuthContext } from '../context/auth-context.ts'
import { MachineContext, OAuthContext } from '../context/token-contexts.ts'
import { MemberSessionSchema } from './session-from-response.ts'
import type { VerifiedSession } from './session-verifier.ts'

/** What local verification concluded. */
export type JwtOutcome =
  | { readonly status: 'valid'; readonly verified: VerifiedSession }
  /** A session JWT validly signed and addressed to us, but past its 5-minute `exp`: the session may still live. */
  | { readonly status: 'expired' }
  | { readonly status: 'invalid'; readonly reason: string }
  /** The JWKS could not be fetched: nothing can be concluded. */
  | { readonly status: 'unavailable'; readonly cause: unknown }

/** Verifies a project's JWTs. */
export interface StytchJwtVerifier {
  verify(jwt: string): Promise<JwtOutcome>
}

const SESSION_CLAIM = 'https://stytch.com/session'
const ORGANIZATION_CLAIM = 'https://stytch.com/organization'
const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'])
/** Seconds of clock skew tolerated between Stytch and this server. */
export const CLOCK_TOLERANCE_SECONDS = 5
/**
 * Shortest time between two key-set fetches for a JWT naming an unknown `kid` (jose's default is
 * 30 s). A key Stytch starts signing with just after this process fetched the key set is known
 * within 5 s, while a flood of invented `kid`s costs at most one fetch per 5 s.
 */
const UNKNOWN_KID_REFETCH_MS = 5_000
/** jose codes that mean the key set could not be obtained, not that the token is bad. */
const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC'])

const Organization = v.looseObject({
  organization_id: v.pipe(v.string(), v.nonEmpty()),
  slug: v.optional(v.string()),
})

const SessionClaims = v.looseObject({
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
  [ORGANIZATION_CLAIM]: Organization,
})

const AccessTokenClaims = v.looseObject({
  sub: v.pipe(v.string(), v.nonEmpty()),
  exp: v.number(),
  scope: v.string(),
  client_id: v.optional(v.string()),
  [ORGANIZATION_CLAIM]: v.optional(Organization),
})

/**
 * A verifier for one project's JWTs. The key set is fetched once and cached (10 minutes,
 * refetched on an unknown `kid` at most every 5 s), so a verification costs no network.
 *
 * @example
 * ```ts
 * const jwts = stytchJwtVerifier({ projectId, baseUrl: 'https://test.stytch.com', timeoutMs: 5000 })
 * const outcome = await jwts.verify(jwt)
 * if (outcome.status === 'valid') outcome.verified.auth.kind // 'member' | 'machine' | 'oauth'
 * ```
 */
export function stytchJwtVerifier(config: {
  readonly projectId: string
  readonly baseUrl: string
  readonly timeoutMs: number
}): StytchJwtVerifier {
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
      const verified = SESSION_CLAIM in payload ? sessionOf(payload) : accessTokenOf(payload)
      if (!verified)
        return { status: 'invalid', reason: 'the Stytch claims are missing or malformed' }
      const now = Date.now()
      if (verified.validUntil > now) return { status: 'valid', verified }
      // Within the clock tolerance past `exp`: as for a JWT further past it, a session still alive
      // is asked about; only a session whose own expiry passed (or an access token) is invalid.
      const { auth } = verified
      if (auth.kind !== 'member')
        return { status: 'invalid', reason: 'the access token has expired' }
      return auth.sessionExpiresAt.getTime() > now
        ? { status: 'expired' }
        : { status: 'invalid', reason: 'the session has expired' }
    },
  }
}

/**
 * Whether a JWT claims to be a session JWT (read without verifying it: only ever used to refuse
 * one, on a route that accepts no sessions, without asking Stytch about it).
 *
 * @example
 * ```ts
 * if (!acceptsSessions && claimsSession(jwt)) throw new TokenVerificationError()
 * ```
 */
export function claimsSession(jwt: string): boolean {
  try {
    return SESSION_CLAIM in decodeJwt(jwt)
  } catch {
    return false
  }
}

function outcomeOf(error: unknown): JwtOutcome {
  const { code, payload } = (error ?? {}) as { code?: unknown; payload?: JWTPayload }
  // Only a session can outlive its JWT: an expired access token is simply invalid.
  if (code === 'ERR_JWT_EXPIRED')
    return payload && SESSION_CLAIM in payload
      ? { status: 'expired' }
      : { status: 'invalid', reason: 'the access token has expired' }
  if (typeof code !== 'string' || UNAVAILABLE_CODES.has(code))
    return { status: 'unavailable', cause: error }
  return { status: 'invalid', reason: code }
}

/** The claims that are neither registered nor Stytch's, nor in `also`. */
function customClaimsOf(
  payload: JWTPayload,
  also: readonly string[] = []
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(payload).filter(
      ([name]) =>
        !REGISTERED_CLAIMS.has(name) &&
        !name.startsWith('https://stytch.com/') &&
        !also.includes(name)
    )
  )
}

/** The session a verified session JWT describes (`memberName` is not in a JWT: `null`). */
function sessionOf(payload: JWTPayload): VerifiedSession | undefined {
  const parsed = v.safeParse(SessionClaims, payload)
  if (!parsed.success) return undefined
  const claims = parsed.output
  const session = claims[SESSION_CLAIM]
  const organization = claims[ORGANIZATION_CLAIM]
  const customClaims = customClaimsOf(payload)
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

/** The machine (M2M) or member-through-an-app (Connected Apps) an access token describes. */
function accessTokenOf(payload: JWTPayload): VerifiedSession | undefined {
  const parsed = v.safeParse(AccessTokenClaims, payload)
  if (!parsed.success) return undefined
  const claims = parsed.output
  const organization = claims[ORGANIZATION_CLAIM]
  const token = {
    scopes: claims.scope.split(' ').filter(Boolean),
    customClaims: customClaimsOf(payload, ['scope', 'client_id']),
    expiresAt: new Date(claims.exp * 1000),
    authenticatedAt: new Date(),
  }
  const auth = organization
    ? new OAuthContext({
        ...token,
        memberId: claims.sub,
        organizationId: organization.organization_id,
        organizationSlug: organization.slug ?? null,
        clientId: claims.client_id ?? null,
      })
    : new MachineContext({ ...token, clientId: claims.sub, permissions: [] })
  return { auth, validUntil: claims.exp * 1000 }
}

function emailOf(factors: readonly Record<string, unknown>[]): string | null {
  for (const factor of factors) {
    const email = (factor['email_factor'] as { email_address?: unknown } | undefined)?.email_address
    if (typeof email === 'string' && email !== '') return email
  }
  return null
}
