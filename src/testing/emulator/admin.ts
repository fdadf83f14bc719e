import { Hono, type MiddlewareHandler } from 'hono'
import { validator } from 'hono/validator'
import type { AuthenticationFactor } from 'stytch'
import * as v from 'valibot'
import type { StytchEmulator } from './emulator.ts'
import { stytchError } from './errors.ts'
import { endpoints, type EmulatorEnv } from './faults.ts'
import { factorTypes } from './wire.ts'

const date = v.pipe(
  v.string(),
  v.transform((iso) => new Date(iso)),
  v.check((parsed) => !Number.isNaN(parsed.getTime()), 'Expected an ISO 8601 date.')
)

const factor = v.union([
  v.picklist(factorTypes),
  v.custom<AuthenticationFactor>(
    (value) =>
      typeof value === 'object' && value !== null && 'type' in value && 'delivery_method' in value,
    'Expected a factor type or an AuthenticationFactor.'
  ),
])

const sessionFields = {
  factors: v.optional(v.array(factor)),
  customClaims: v.optional(v.record(v.string(), v.unknown())),
  durationMinutes: v.optional(v.number()),
  expiresAt: v.optional(date),
}

const CreateSession = v.object({ memberId: v.string(), ...sessionFields })

const permissions = v.array(v.object({ resource_id: v.string(), actions: v.array(v.string()) }))

const Role = v.object({ role_id: v.string(), description: v.string(), permissions })

const Policy = v.object({
  roles: v.array(Role),
  resources: v.array(
    v.object({ resource_id: v.string(), description: v.string(), actions: v.array(v.string()) })
  ),
  scopes: v.array(v.object({ scope: v.string(), description: v.string(), permissions })),
})

const OrganizationRoles = v.object({ roles: v.array(Role) })

const CreateM2MClient = v.object({
  scopes: v.array(v.string()),
  customClaims: v.optional(v.record(v.string(), v.unknown())),
  clientId: v.optional(v.string()),
  clientSecret: v.optional(v.string()),
})

const mintFields = {
  expiresInSeconds: v.optional(v.number()),
  issuedAt: v.optional(date),
  customClaims: v.optional(v.record(v.string(), v.unknown())),
  issuer: v.optional(v.string()),
  audience: v.optional(v.union([v.string(), v.array(v.string())])),
}

const MintM2MToken = v.object({
  clientId: v.string(),
  scopes: v.optional(v.array(v.string())),
  ...mintFields,
})

const MintAccessToken = v.object({
  memberId: v.string(),
  scopes: v.array(v.string()),
  clientId: v.optional(v.string()),
  ...mintFields,
})

const Seed = v.object({
  ...sessionFields,
  organization: v.optional(
    v.object({
      name: v.optional(v.string()),
      slug: v.optional(v.string()),
      customRoles: v.optional(v.array(Role)),
    })
  ),
  member: v.optional(
    v.object({
      email: v.optional(v.string()),
      name: v.optional(v.string()),
      roles: v.optional(v.array(v.string())),
    })
  ),
})

const MintJwt = v.object({ issuedAt: v.optional(date), lifetimeSeconds: v.optional(v.number()) })

const InjectFault = v.object({
  fault: v.variant('kind', [
    v.object({ kind: v.literal('latency'), ms: v.number() }),
    v.object({
      kind: v.literal('status'),
      status: v.number(),
      errorType: v.optional(v.string()),
      retryAfter: v.optional(v.number()),
    }),
    v.object({ kind: v.literal('non-json'), status: v.optional(v.number()) }),
    v.object({ kind: v.picklist(['truncated-json', 'wrong-shape', 'hang', 'reset']) }),
  ]),
  endpoint: v.optional(v.picklist([...endpoints, 'any'])),
  times: v.optional(v.number()),
})

/** A JSON body validated by a valibot schema; a Stytch-style 400 when it does not match. */
function json<TSchema extends v.GenericSchema>(schema: TSchema) {
  return validator('json', (body: unknown) => {
    const result = v.safeParse(schema, body)
    if (result.success) return result.output
    return stytchError(400, 'bad_request', { message: v.summarize(result.issues) })
  })
}

const noContent = () => new Response(null, { status: 204 })

function doneIf(found: boolean): Response {
  return found ? noContent() : stytchError(404, 'session_not_found')
}

/**
 * The emulator's admin API, for tests that run in another process (or runtime) than the
 * emulator. It takes the same Basic credentials as the Stytch API and is neither counted in
 * `calls` nor subject to faults or latency. Dates are ISO 8601 strings.
 *
 * | route | does |
 * |---|---|
 * | `POST /seed` | `emulator.seed(body)` → the seeded session (`organization.customRoles` too) |
 * | `POST /sessions` | `emulator.createSession(body)` → the session, or 404 `member_not_found` |
 * | `POST /sessions/:id/revoke`, `/expire` | 204, or 404 `session_not_found` |
 * | `POST /sessions/:id/jwt` | `{ sessionJwt }` minted with `{ issuedAt?, lifetimeSeconds? }` |
 * | `POST /faults` | `emulator.injectFault(fault, { endpoint, times })` → `{ id }` |
 * | `DELETE /faults` | `emulator.clearFaults()` |
 * | `GET /calls`, `POST /calls/reset` | the request counts, or set them to zero |
 * | `POST /keys/rotate`, `/keys/drop-previous` | key rotation |
 * | `PUT /policy` | `emulator.setPolicy(body)` (a whole `Policy`) |
 * | `PUT /organizations/:id/roles` | `emulator.setOrganizationRoles(id, body.roles)`; 404 `organization_not_found` |
 * | `POST /m2m-clients` | `emulator.createM2MClient(body)` → `{ clientId, clientSecret, scopes }` |
 * | `POST /m2m-tokens` | `emulator.mintM2MToken(body)` → `{ accessToken }` |
 * | `POST /access-tokens` | `emulator.mintAccessToken(body)` → `{ accessToken }`; 404 `member_not_found` |
 *
 * @example
 * await fetch(`${url}/_emulator/faults`, {
 *   method: 'POST',
 *   headers: { authorization, 'content-type': 'application/json' },
 *   body: JSON.stringify({ fault: { kind: 'status', status: 503 }, times: 1 }),
 * })
 */
export function adminRoutes(emulator: StytchEmulator, credentials: MiddlewareHandler) {
  return new Hono<EmulatorEnv>()
    .use(credentials)
    .post('/seed', json(Seed), async (c) => c.json(await emulator.seed(c.req.valid('json'))))
    .post('/sessions', json(CreateSession), async (c) => {
      const session = await emulator.createSession(c.req.valid('json')).catch(() => undefined)
      return session ? c.json(session) : stytchError(404, 'member_not_found')
    })
    .post('/sessions/:id/revoke', (c) => doneIf(emulator.revokeSession(c.req.param('id'))))
    .post('/sessions/:id/expire', (c) => doneIf(emulator.expireSession(c.req.param('id'))))
    .post('/sessions/:id/jwt', json(MintJwt), async (c) => {
      const sessionJwt = await emulator
        .mintSessionJwt(c.req.param('id'), c.req.valid('json'))
        .catch(() => undefined)
      return sessionJwt ? c.json({ sessionJwt }) : doneIf(false)
    })
    .post('/faults', json(InjectFault), (c) => {
      const { fault, ...options } = c.req.valid('json')
      return c.json({ id: emulator.injectFault(fault, options).id })
    })
    .delete('/faults', () => {
      emulator.clearFaults()
      return noContent()
    })
    .get('/calls', (c) => c.json(emulator.calls))
    .post('/calls/reset', () => {
      emulator.resetCalls()
      return noContent()
    })
    .post('/keys/rotate', async () => {
      await emulator.rotateKeys()
      return noContent()
    })
    .post('/keys/drop-previous', () => {
      emulator.dropPreviousKey()
      return noContent()
    })
    .put('/policy', json(Policy), (c) => {
      emulator.setPolicy(c.req.valid('json'))
      return noContent()
    })
    .put('/organizations/:id/roles', json(OrganizationRoles), (c) => {
      try {
        emulator.setOrganizationRoles(c.req.param('id'), c.req.valid('json').roles)
      } catch {
        return stytchError(404, 'organization_not_found')
      }
      return noContent()
    })
    .post('/m2m-clients', json(CreateM2MClient), (c) =>
      c.json(emulator.createM2MClient(c.req.valid('json')))
    )
    .post('/m2m-tokens', json(MintM2MToken), async (c) =>
      c.json({ accessToken: await emulator.mintM2MToken(c.req.valid('json')) })
    )
    .post('/access-tokens', json(MintAccessToken), async (c) => {
      const options = c.req.valid('json')
      const issuer = options.issuer ?? emulator.baseUrl ?? new URL(c.req.url).origin
      const accessToken = await emulator
        .mintAccessToken({ ...options, issuer })
        .catch(() => undefined)
      return accessToken ? c.json({ accessToken }) : stytchError(404, 'member_not_found')
    })
}
