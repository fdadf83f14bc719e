import { Hono, type MiddlewareHandler } from 'hono'
import { validator } from 'hono/validator'
import type { AuthenticationFactor } from 'stytch'
import * as v from 'valibot'
import type { StytchEmulator } from './emulator.ts'
import { stytchError } from './errors.ts'
import type { EmulatorEnv } from './faults.ts'
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

const Seed = v.object({
  ...sessionFields,
  organization: v.optional(
    v.object({ name: v.optional(v.string()), slug: v.optional(v.string()) })
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
  endpoint: v.optional(v.picklist(['authenticate', 'revoke', 'jwks', 'any'])),
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
 * | `POST /seed` | `emulator.seed(body)` → the seeded session |
 * | `POST /sessions` | `emulator.createSession(body)` → the session, or 404 `member_not_found` |
 * | `POST /sessions/:id/revoke`, `/expire` | 204, or 404 `session_not_found` |
 * | `POST /sessions/:id/jwt` | `{ sessionJwt }` minted with `{ issuedAt?, lifetimeSeconds? }` |
 * | `POST /faults` | `emulator.injectFault(fault, { endpoint, times })` → `{ id }` |
 * | `DELETE /faults` | `emulator.clearFaults()` |
 * | `GET /calls`, `POST /calls/reset` | the request counts, or set them to zero |
 * | `POST /keys/rotate`, `/keys/drop-previous` | key rotation |
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
}
