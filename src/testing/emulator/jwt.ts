import {
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose'
import type { MemberSession } from 'stytch'
import { newSessionToken } from './ids.ts'
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
 * The claims of an M2M access token or a Connected Apps access token that are not the subject's.
 *
 * @example
 * const lifetime: TokenTimes = { issuedAt: 1767261600, lifetimeSeconds: 3600 }
 */
export interface TokenTimes {
  /** `iat` and `nbf`, in epoch seconds. */
  issuedAt: number
  /** `exp` is `issuedAt + lifetimeSeconds`; negative for a token already expired. */
  lifetimeSeconds: number
  /** Default `'stytch.com/<projectId>'`. */
  issuer?: string
  /** Default `[projectId]`. */
  audience?: string | string[]
}

/**
 * Signs an M2M access token as Stytch documents it (Get Access Token, M2M): RS256, `typ: 'JWT'`,
 * `sub` the client id, `scope` space separated, `aud: [projectId]`, `iss: 'stytch.com/<projectId>'`,
 * `iat = nbf`, custom claims at the top level (they cannot replace `scope` or a registered claim).
 * These are the claims `client.m2m.authenticateToken` checks (`authenticateM2MJwtLocal`).
 *
 * @example
 * await signM2MToken(key, projectId, { clientId, scopes: ['read:users'], customClaims: {} },
 *   { issuedAt: 1767261600, lifetimeSeconds: 3600 })
 */
export function signM2MToken(
  key: SigningKey,
  projectId: string,
  token: { clientId: string; scopes: readonly string[]; customClaims: Record<string, unknown> },
  times: TokenTimes
): Promise<string> {
  const claims = { ...token.customClaims, scope: token.scopes.join(' ') }
  return signScoped(key, projectId, token.clientId, claims, times)
}

/**
 * Signs a Connected Apps access token as Stytch documents it (Connected App Access Token object):
 * RS256, `typ: 'JWT'`, `sub` the member, `scope` space separated, `client_id`, a `jti`, the
 * `https://stytch.com/organization` claim `{organization_id, slug}` and `aud: [projectId]`. Its `iss`
 * is the project's domain in Stytch (`times.issuer`: the emulator passes its own URL when it knows
 * it); `client.idp.introspectTokenLocal` accepts that and `stytch.com/<projectId>` alike.
 *
 * @example
 * await signAccessToken(key, projectId, {
 *   memberId, organization: { organization_id, slug: 'acme' }, clientId, scopes: ['openid'],
 *   customClaims: {},
 * }, { issuedAt: 1767261600, lifetimeSeconds: 3600, issuer: 'http://127.0.0.1:4010' })
 */
export function signAccessToken(
  key: SigningKey,
  projectId: string,
  token: {
    memberId: string
    organization: { organization_id: string; slug: string }
    clientId: string
    scopes: readonly string[]
    customClaims: Record<string, unknown>
  },
  times: TokenTimes
): Promise<string> {
  const claims = {
    ...token.customClaims,
    scope: token.scopes.join(' '),
    client_id: token.clientId,
    [organizationClaim]: token.organization,
  }
  return signScoped(key, projectId, token.memberId, claims, {
    ...times,
    jti: newSessionToken(),
  })
}

function signScoped(
  key: SigningKey,
  projectId: string,
  subject: string,
  claims: Record<string, unknown>,
  times: TokenTimes & { jti?: string }
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setAudience(times.audience ?? [projectId])
    .setIssuer(times.issuer ?? `stytch.com/${projectId}`)
    .setSubject(subject)
    .setIssuedAt(times.issuedAt)
    .setNotBefore(times.issuedAt)
    .setExpirationTime(times.issuedAt + times.lifetimeSeconds)
  return (times.jti ? jwt.setJti(times.jti) : jwt).sign(key.privateKey)
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

/**
 * Reads a Connected Apps access token for `POST /oauth2/introspect`: the claims when it is signed
 * by a key in the current JWKS, meant for the project, within `nbf`..`exp` on the emulator's clock
 * and carries `scope` and the organization claim; `undefined` (inactive) otherwise. Session JWTs
 * and M2M tokens are inactive here (inferred: the endpoint introspects Connected Apps tokens, and
 * the SDK's `introspectTokenNetwork` reads the organization claim of every active answer).
 *
 * @example
 * const claims = await readAccessToken(token, keys, projectId, Date.now())
 * return c.json(claims ? { active: true, ...claims } : { active: false })
 */
export async function readAccessToken(
  jwt: string,
  keys: KeyRing,
  projectId: string,
  nowMs: number
): Promise<JWTPayload | undefined> {
  try {
    const kid = decodeProtectedHeader(jwt).kid
    const key = kid === undefined ? undefined : await keys.find(kid)
    if (!key) return undefined
    const { payload } = await jwtVerify(jwt, key.publicKey, {
      algorithms: ['RS256'],
      audience: projectId,
      currentDate: new Date(nowMs),
    })
    const scoped = typeof payload.scope === 'string' && organizationClaim in payload
    return scoped && !(sessionClaim in payload) ? payload : undefined
  } catch {
    return undefined
  }
}
