/**
 * @module
 * The HTTP routes: the emulated Stytch API, its session endpoints, and the admin API mounted.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type {
  AuthorizationCheck,
  B2BRBACPolicyResponse,
  B2BSessionsAuthenticateResponse,
} from 'stytch'
import { adminRoutes } from './admin.ts'
import { requireProjectCredentials } from './auth.ts'
import type { StytchEmulator } from './emulator.ts'
import { stytchError } from './errors.ts'
import { ConnectionReset, type EmulatorEnv } from './faults.ts'
import { newRequestId } from './ids.ts'
import { readSessionJwt } from './jwt.ts'
import { authorizationServerMetadata } from './oauth.ts'
import type { EmulatorParts } from './parts.ts'
import type { SessionLocator, SessionRecord } from './store.ts'

const maxSessionMinutes = 527_040

/**
 * Serves the emulated Stytch API on `app` with Stytch's wire format, each endpoint answered by the
 * part that owns it, and mounts the admin API under `/_emulator`. Every response carries
 * `x-stytch-emulator: ayz-auth`; requests under `/v1/` and `/.well-known/` pass the traffic gate.
 *
 * @example
 * serveStytchApi(this, partsOf(this))
 */
export function serveStytchApi(app: StytchEmulator, parts: EmulatorParts): void {
  const credentials = requireProjectCredentials(parts.projectId, parts.secret)
  app.use(async (c, next) => {
    await next()
    c.res.headers.set('x-stytch-emulator', 'ayz-auth')
  })
  app.route('/_emulator', adminRoutes(app, credentials))
  const gate = parts.traffic.gate()
  app.use('/v1/*', gate)
  app.use('/.well-known/*', gate)
  app.post('/v1/b2b/sessions/authenticate', credentials, (c) => authenticate(c, parts))
  app.post('/v1/b2b/sessions/revoke', credentials, (c) => revoke(c, parts))
  app.get('/v1/b2b/sessions/jwks/:projectId', (c) => parts.tokens.jwks(c.req.param('projectId')))
  app.get('/v1/b2b/rbac/policy', credentials, (c) =>
    c.json({
      request_id: newRequestId(),
      status_code: 200,
      policy: parts.policy.get(),
    } satisfies B2BRBACPolicyResponse)
  )
  app.get('/v1/b2b/rbac/organizations/:organizationId', credentials, (c) =>
    parts.policy.orgPolicy(c.req.param('organizationId'))
  )
  app.post('/v1/public/:projectId/oauth2/token', (c) => parts.m2m.token(c))
  app.post('/v1/public/:projectId/oauth2/introspect', (c) => parts.tokens.introspect(c))
  for (const document of ['oauth-authorization-server', 'openid-configuration']) {
    app.get(`/.well-known/${document}`, (c) =>
      c.json(
        authorizationServerMetadata(
          new URL(c.req.url).origin,
          parts.projectId,
          parts.policy.scopes()
        )
      )
    )
  }
  app.notFound(() => stytchError(404, 'route_not_found'))
  app.onError((error) => {
    if (error instanceof ConnectionReset) throw error
    if (error instanceof HTTPException) {
      return stytchError(error.status, 'bad_request', { message: error.message })
    }
    return stytchError(500, 'internal_server_error')
  })
}

/** `POST /v1/b2b/sessions/authenticate`, with `authorization_check`. */
async function authenticate(c: Context<EmulatorEnv>, parts: EmulatorParts): Promise<Response> {
  const body = await jsonObject(c.req.raw)
  if (!body) return stytchError(400, 'bad_request', { message: 'Expected a JSON object.' })
  const token = nonEmpty(body.session_token)
  const jwt = nonEmpty(body.session_jwt)
  const durationMinutes = body.session_duration_minutes ?? undefined
  const customClaims = body.session_custom_claims ?? undefined
  if (token && jwt) return stytchError(400, 'too_many_session_arguments')
  const locator = token ? { token } : jwt ? { jwt } : undefined
  if (!locator) return stytchError(400, 'no_session_arguments')
  if (durationMinutes !== undefined && !isSessionDuration(durationMinutes)) {
    return stytchError(400, 'invalid_session_duration_minutes')
  }
  if (customClaims !== undefined && !isRecord(customClaims)) {
    return stytchError(400, 'bad_request', { message: 'Expected session_custom_claims object.' })
  }
  const check = body.authorization_check ?? undefined
  if (check !== undefined && !isAuthorizationCheck(check)) {
    return stytchError(400, 'bad_request', {
      message: 'Expected authorization_check {organization_id, resource_id, action}.',
    })
  }
  const session = await liveSession(parts, locator)
  if (session instanceof Response) return session
  // Inferred: a refused check leaves the session untouched (Stytch does not say).
  const outcome = check && parts.policy.authorize(session, check)
  if (outcome && 'refused' in outcome) return stytchError(403, outcome.refused)
  parts.store.authenticate(session, { durationMinutes, customClaims })
  const current = await parts.accounts.present(session)
  return c.json({
    status_code: 200,
    request_id: newRequestId(),
    member_session: current.session,
    session_token: current.sessionToken,
    session_jwt: current.sessionJwt,
    member: current.member,
    organization: current.organization,
    ...(outcome && { verdict: outcome.verdict }),
  } satisfies B2BSessionsAuthenticateResponse)
}

/** `POST /v1/b2b/sessions/revoke`: one session, or every session of a member. */
async function revoke(c: Context<EmulatorEnv>, parts: EmulatorParts): Promise<Response> {
  const body = await jsonObject(c.req.raw)
  if (!body) return stytchError(400, 'bad_request', { message: 'Expected a JSON object.' })
  const id = nonEmpty(body.member_session_id)
  const token = nonEmpty(body.session_token)
  const jwt = nonEmpty(body.session_jwt)
  const memberId = nonEmpty(body.member_id)
  if ([id, token, jwt, memberId].filter((value) => value !== undefined).length > 1) {
    return stytchError(400, 'too_many_session_revoke_arguments')
  }
  if (memberId !== undefined) {
    if (!parts.store.members.has(memberId)) return stytchError(404, 'member_not_found')
    parts.store.revokeMember(memberId)
  } else {
    const locator = id ? { id } : token ? { token } : jwt ? { jwt } : undefined
    if (!locator) return stytchError(400, 'no_session_revoke_arguments')
    const session = await liveSession(parts, locator)
    if (session instanceof Response) return session
    parts.store.revoke(session)
  }
  return c.json({ status_code: 200, request_id: newRequestId() })
}

/** The live session named by an id, a token or a JWT, or the error Stytch answers instead. */
async function liveSession(
  parts: EmulatorParts,
  locator: SessionLocator | { jwt: string }
): Promise<SessionRecord | Response> {
  if ('jwt' in locator) {
    const read = await readSessionJwt(locator.jwt, parts.keys)
    if ('refused' in read) return stytchError(read.refused, 'unable_to_parse_session_jwt')
    locator = { id: read.sessionId }
  }
  return parts.store.liveSession(locator) ?? stytchError(404, 'session_not_found')
}

function isAuthorizationCheck(value: unknown): value is AuthorizationCheck {
  return (
    isRecord(value) &&
    typeof value.organization_id === 'string' &&
    typeof value.resource_id === 'string' &&
    typeof value.action === 'string'
  )
}

async function jsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  const body: unknown = await request.json().catch(() => undefined)
  return isRecord(body) ? body : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function isSessionDuration(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 5 && value <= maxSessionMinutes
  )
}
