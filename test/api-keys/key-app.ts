/**
 * The app the API-key acceptance tests use, as a user writes it from the README: sessions and keys
 * on `/api/*`, the management routes, and a route behind each guard. The same app runs in this
 * process and, configured by environment alone, as a fleet instance (test/api-keys/key-instance.ts).
 * Also: a key forger written from DESIGN's words alone (`ak_test_`/`ak_live_`, 32 base62
 * characters, the base62 CRC32 of what precedes it, as zlib computes it), so the format is checked
 * against the design, not against the implementation's own helpers.
 */
import { createHash, randomInt } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { Hono } from 'hono'
import type { Policy } from 'stytch'
import {
  createApiKey,
  listApiKeys,
  requireEntitlement,
  requireFactors,
  requireOrganization,
  requirePermission,
  requireScopes,
  revokeApiKey,
  rotateApiKey,
  stytchAuth,
  type NewApiKeyOptions,
  type PrincipalEnv,
  type StytchAuthOptions,
} from '../../src/index.ts'
import { defaultPolicy } from '../../src/testing/index.ts'

/**
 * The app: `/api/*` behind `stytchAuth({ acceptTokens: ['session', 'api_key'] })`, with
 * - `GET /api/me`: `c.var.auth` as JSON;
 * - `GET /api/reports`: `requireScopes('read:reports')`;
 * - `GET /api/documents`, `DELETE /api/documents`: `requirePermission('documents', 'read' | 'delete')`;
 * - `GET /api/orgs/:org/invoices`: `requireOrganization` of the path's organization;
 * - `GET /api/mfa`: `requireFactors('mfa')`; `GET /api/entitled`: `requireEntitlement('foresight')`;
 * - `POST /api/keys` (behind `requirePermission('api_keys', 'create')`), `GET /api/keys`,
 *   `DELETE /api/keys/:id`, `POST /api/keys/:id/rotate`: the README's management routes.
 *
 * @example
 * ```ts
 * const app = keyApp({ logger })
 * await app.request('/api/me', bearer(key), env)
 * ```
 */
export function keyApp(options: StytchAuthOptions = {}): Hono<PrincipalEnv> {
  const app = new Hono<PrincipalEnv>()
  app.use('/api/*', stytchAuth({ ...options, acceptTokens: ['session', 'api_key'] }))
  app.get('/api/me', (c) => c.json(c.var.auth))
  app.get('/api/reports', requireScopes('read:reports'), (c) => c.text('reports'))
  app.get('/api/documents', requirePermission('documents', 'read'), (c) => c.text('documents'))
  app.delete('/api/documents', requirePermission('documents', 'delete'), (c) => c.text('deleted'))
  app.get(
    '/api/orgs/:org/invoices',
    requireOrganization((c) => c.req.param('org')),
    (c) => c.text('invoices')
  )
  app.get('/api/mfa', requireFactors('mfa'), (c) => c.text('mfa'))
  app.get('/api/entitled', requireEntitlement('foresight'), (c) => c.text('entitled'))
  app.post('/api/keys', requirePermission('api_keys', 'create'), async (c) =>
    c.json(await createApiKey(c, await c.req.json<NewApiKeyOptions>()), 201)
  )
  app.get('/api/keys', async (c) => c.json(await listApiKeys(c)))
  app.delete('/api/keys/:id', async (c) => {
    await revokeApiKey(c, c.req.param('id'))
    return c.body(null, 204)
  })
  app.post('/api/keys/:id/rotate', async (c) =>
    c.json(await rotateApiKey(c, c.req.param('id'), await c.req.json<{ graceSeconds?: number }>()))
  )
  return app
}

/**
 * The emulator's default policy plus the resources of this app: `api_keys` (managed by
 * `stytch_admin` and a `key_manager` role) and `reports` (read by `key_manager`). A `key_manager`
 * may create keys for `read:reports` and `read:documents` (every member reads documents), never
 * for `write:documents` or `delete:documents`, which only `stytch_admin` holds.
 */
export function keysPolicy(): Policy {
  const policy = defaultPolicy()
  return {
    ...policy,
    resources: [
      ...policy.resources,
      {
        resource_id: 'api_keys',
        description: "The organization's API keys.",
        actions: ['create'],
      },
      { resource_id: 'reports', description: 'Reports.', actions: ['read'] },
    ],
    roles: [
      ...policy.roles.map((role) =>
        role.role_id === 'stytch_admin'
          ? {
              ...role,
              permissions: [
                ...role.permissions,
                { resource_id: 'api_keys', actions: ['*'] },
                { resource_id: 'reports', actions: ['*'] },
              ],
            }
          : role
      ),
      {
        role_id: 'key_manager',
        description: 'Creates API keys for reports.',
        permissions: [
          { resource_id: 'api_keys', actions: ['create'] },
          { resource_id: 'reports', actions: ['read'] },
        ],
      },
    ],
  }
}

/** A JSON request with a bearer token. */
export function jsonRequest(method: string, token: string, body?: unknown): RequestInit {
  return {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }
}

/** What `createApiKey` and `rotateApiKey` answer, as JSON. */
export interface IssuedKey {
  readonly key: string
  readonly record: { readonly id: string } & Record<string, unknown>
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** `body` followed by zlib's CRC32 of it as 6 base62 digits (left-padded with `0`). */
export function withChecksum(body: string): string {
  let value = crc32(body)
  let digits = ''
  for (let digit = 0; digit < 6; digit++) {
    digits = BASE62.charAt(value % 62) + digits
    value = Math.floor(value / 62)
  }
  return body + digits
}

/** A key of the right format and checksum that no store holds (another project's, say). */
export function forgedKey(environment: 'test' | 'live'): string {
  let random = ''
  for (let at = 0; at < 32; at++) random += BASE62.charAt(randomInt(62))
  return withChecksum(`ak_${environment}_${random}`)
}

/** The lowercase hex SHA-256 of `text`: what DESIGN says is stored for a key. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * The pieces of `key` that must never be seen where the key is not: the key, everything after its
 * environment prefix, and everything after `start` (its first 12 characters, the only part stored).
 */
export function secretPartsOf(key: string): string[] {
  return [key, key.slice(8), key.slice(12)]
}
