import { compactVerify, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import type { MemberSession } from 'stytch'
import type { KeyRing, SigningKey } from './keys.ts'

const sessionClaim = 'https://stytch.com/session'
const organizationClaim = 'https://stytch.com/organization'

/**
 * Signs a session JWT exactly as Stytch does (protocol §2): RS256 with `typ: 'JWT'` and the key's
 * `kid`, `aud: [projectId]`, `iss: 'stytch.com/<projectId>'`, `sub` the member, `nbf = iat`,
 * the two `https://stytch.com/` claims and the custom claims at the top level.
 *
 * @example
 * await signSessionJwt(key, projectId, session, { issuedAt: 1767261600, lifetimeSeconds: 300 })
 */
export function signSessionJwt(
  key: SigningKey,
  projectId: string,
  session: MemberSession,
  { issuedAt, lifetimeSeconds }: { issuedAt: number; lifetimeSeconds: number }
): Promise<string> {
  return new SignJWT({
    ...session.custom_claims,
    [organizationClaim]: {
      organization_id: session.organization_id,
      slug: session.organization_slug,
    },
    [sessionClaim]: {
      id: session.member_session_id,
      started_at: session.started_at,
      last_accessed_at: session.last_accessed_at,
      expires_at: session.expires_at,
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: session.authentication_factors,
      roles: session.roles,
    },
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setAudience([projectId])
    .setIssuer(`stytch.com/${projectId}`)
    .setSubject(session.member_id)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(key.privateKey)
}

/**
 * What reading a session JWT gave: the session id it names, or the HTTP status to refuse it with.
 *
 * @example
 * const read = await readSessionJwt(jwt, keys)
 * if ('refused' in read) return stytchError(read.refused, 'unable_to_parse_session_jwt')
 */
export type ReadSessionJwt = { sessionId: string } | { refused: 400 | 401 }

/**
 * Reads a session JWT the way `/sessions/authenticate` does: the signature must come from a key in
 * the current JWKS, but `exp` is not checked (an expired JWT still names a live session).
 * Stytch does not document the status for a bad JWT; we answer 400 for a string that is not a JWT
 * at all and 401 for a JWT we cannot trust (unknown `kid`, bad signature, no session claim).
 *
 * @example
 * await readSessionJwt(jwt, keys) // { sessionId: 'member-session-test-…' }
 */
export async function readSessionJwt(jwt: string, keys: KeyRing): Promise<ReadSessionJwt> {
  let kid: string | undefined
  try {
    kid = decodeProtectedHeader(jwt).kid
  } catch {
    return { refused: 400 }
  }
  const key = kid === undefined ? undefined : await keys.find(kid)
  try {
    if (!key) throw new Error('unknown kid')
    await compactVerify(jwt, key.publicKey, { algorithms: ['RS256'] })
    const session = decodeJwt(jwt)[sessionClaim]
    const id = session && typeof session === 'object' && 'id' in session ? session.id : undefined
    return typeof id === 'string' ? { sessionId: id } : { refused: 401 }
  } catch {
    return { refused: 401 }
  }
}
