import * as v from 'valibot'
import { AuthContext } from '../context/auth-context.ts'
import type { VerifiedSession } from './session-verifier.ts'

const Instant = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.transform((text) => new Date(text))
)
const Factor = v.looseObject({ type: v.string() })

/** The parts of Stytch's `member_session` the library relies on. */
export const MemberSessionSchema = v.looseObject({
  member_session_id: v.pipe(v.string(), v.nonEmpty()),
  member_id: v.pipe(v.string(), v.nonEmpty()),
  organization_id: v.pipe(v.string(), v.nonEmpty()),
  started_at: Instant,
  last_accessed_at: Instant,
  expires_at: Instant,
  authentication_factors: v.array(Factor),
  custom_claims: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  organization_slug: v.optional(v.nullable(v.string())),
  roles: v.optional(v.nullable(v.array(v.string()))),
})

const AuthenticateResponse = v.looseObject({
  member_session: MemberSessionSchema,
  member: v.optional(
    v.looseObject({
      member_id: v.optional(v.string()),
      email_address: v.optional(v.nullable(v.string())),
      name: v.optional(v.nullable(v.string())),
    })
  ),
  organization: v.optional(
    v.looseObject({
      organization_id: v.optional(v.string()),
      organization_slug: v.optional(v.string()),
    })
  ),
})

/** Fields of a Stytch response that are credentials and never leave the verifier. */
const TOKEN_FIELDS = new Set(['session_token', 'session_jwt', 'intermediate_session_token'])

/**
 * The verified session in a `sessions.authenticate` response, or `undefined` when the response is
 * not of the documented shape (Stytch misbehaving: the caller answers 503, never 200).
 *
 * @example
 * ```ts
 * const verified = sessionFromResponse(await client.sessions.authenticate({ session_token }))
 * verified?.auth.memberId // 'member-test-…'
 * ```
 */
export function sessionFromResponse(
  response: unknown,
  now: Date = new Date()
): VerifiedSession | undefined {
  const parsed = v.safeParse(AuthenticateResponse, response)
  if (!parsed.success) return undefined
  const { member_session: session, member, organization } = parsed.output
  const auth = new AuthContext({
    memberId: member?.member_id || session.member_id,
    sessionId: session.member_session_id,
    organizationId: organization?.organization_id || session.organization_id,
    organizationSlug: organization?.organization_slug || session.organization_slug || null,
    sessionStartedAt: session.started_at,
    sessionExpiresAt: session.expires_at,
    sessionLastAccessedAt: session.last_accessed_at,
    authenticatedAt: now,
    memberEmail: member?.email_address || null,
    memberName: member?.name || null,
    sessionCustomClaims: session.custom_claims ?? {},
    authenticationFactors: session.authentication_factors.map((factor) => factor.type),
    roles: session.roles ?? [],
    rawSession: withoutTokens(response as Record<string, unknown>),
  })
  return { auth, validUntil: session.expires_at.getTime() }
}

function withoutTokens(response: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(response).filter(([field]) => !TOKEN_FIELDS.has(field)))
}
