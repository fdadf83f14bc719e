/**
 * @module
 * `rotateApiKey()`: a key replaced by a new one, the old kept for a grace period.
 */
import type { Context } from 'hono'
import { InvalidRequestError } from '../errors/auth-error.ts'
import { throughEveryTier } from '../middleware/revoke-session.ts'
import { generateApiKey } from './api-key-format.ts'
import {
  apiKeyUsability,
  MAX_API_KEY_SECONDS,
  storableApiKey,
  type ApiKeyRecord,
} from './api-key-record.ts'
import { keyManagerOf } from './key-manager.ts'

/**
 * Replaces the key `id` of the caller's organization: a new key with its name, scopes and expiry
 * (returned once), while the old one keeps working for `graceSeconds` (default 0: it stops at
 * once), then is refused everywhere. A key of another organization, or none, is a 404; a revoked
 * or expired one, or one rotated already (its successor is the one to rotate), a 400. Emits
 * `api_key.rotated`.
 *
 * @example
 * ```ts
 * app.post('/api/keys/:id/rotate', async (c) =>
 *   c.json(await rotateApiKey(c, c.req.param('id'), { graceSeconds: 3600 })))
 * ```
 */
export async function rotateApiKey(
  c: Context,
  id: string,
  options: { readonly graceSeconds?: number } = {}
): Promise<{ key: string; record: ApiKeyRecord }> {
  const graceSeconds = options.graceSeconds ?? 0
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_API_KEY_SECONDS)
    throw new InvalidRequestError(
      `graceSeconds: must be a number from 0 to ${MAX_API_KEY_SECONDS} (100 years)`
    )
  const manager = keyManagerOf(c)
  const old = await manager.find(id)
  // A key already rotated has its successor (rotate that one): rotating it again, even within its
  // grace period, would mint a second successor and move the end of its grace period.
  if (!apiKeyUsability(old.record).usable || old.record.graceUntil !== null)
    throw new InvalidRequestError('a revoked, expired or rotated API key cannot be rotated')
  await manager.mayGrant(c, old.record.scopes)
  const key = generateApiKey(manager.runtime.environment)
  const { name, scopes, expiresAt } = old.record
  const storable = await storableApiKey(key, {
    organizationId: manager.organizationId,
    createdBy: manager.actor,
    name,
    scopes,
    expiresAt,
    replaces: old.record.id,
  })
  const record = await manager.call((signal) => manager.store.keys.insert(storable, signal))
  const graceUntil = new Date(Date.now() + graceSeconds * 1000)
  await manager.call((signal) =>
    manager.store.keys.update(old.record.id, manager.organizationId, { graceUntil }, signal)
  )
  // Instances holding the old key read its grace period again; with none, it is refused at once.
  await throughEveryTier(manager.runtime, (revocations) =>
    graceSeconds === 0
      ? revocations.revoke([{ id: old.keyHash, forMs: 0 }])
      : revocations.forget([old.keyHash])
  )
  manager.runtime.telemetry?.apiKeyChanged({
    type: 'api_key.rotated',
    keyId: old.record.id,
    newKeyId: record.id,
    organizationId: record.organizationId,
    actor: manager.actor,
  })
  return { key, record }
}
