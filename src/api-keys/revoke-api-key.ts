/**
 * @module
 * `revokeApiKey()`: a key of the caller's organization refused from now on, everywhere.
 */
import type { Context } from 'hono'
import { throughEveryTier } from '../middleware/revoke-session.ts'
import { keyManagerOf } from './key-manager.ts'

/**
 * Revokes the key `id` of the caller's organization: stored as revoked, then refused by every
 * instance at once where the shared tier can push (Redis pub/sub), else within `l1Ttl`. A key of
 * another organization, or none, is a 404. Emits `api_key.revoked`. Revoking a revoked key again
 * changes nothing: its `revokedAt` stays, and no second event is emitted.
 *
 * @example
 * ```ts
 * app.delete('/api/keys/:id', async (c) => {
 *   await revokeApiKey(c, c.req.param('id'))
 *   return c.body(null, 204)
 * })
 * ```
 */
export async function revokeApiKey(c: Context, id: string): Promise<void> {
  const manager = keyManagerOf(c)
  const { keyHash, record } = await manager.find(id)
  // Revoked already: its revocation (and when it was made) stands; it is refused everywhere again.
  const revokedBefore = record.revokedAt !== null
  if (!revokedBefore)
    await manager.call((signal) =>
      manager.store.keys.update(
        record.id,
        manager.organizationId,
        { revokedAt: new Date() },
        signal
      )
    )
  await throughEveryTier(manager.runtime, (revocations) =>
    revocations.revoke([{ id: keyHash, forMs: 0 }])
  )
  if (revokedBefore) return
  manager.runtime.telemetry?.apiKeyChanged({
    type: 'api_key.revoked',
    keyId: record.id,
    organizationId: record.organizationId,
    actor: manager.actor,
  })
}
