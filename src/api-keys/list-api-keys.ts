/**
 * @module
 * `listApiKeys()`: the caller's organization's keys.
 */
import type { Context } from 'hono'
import type { ApiKeyRecord } from './api-key-record.ts'
import { keyManagerOf } from './key-manager.ts'

/**
 * The records of the caller's organization's keys, newest first: never a key, never a hash.
 *
 * @example
 * ```ts
 * app.get('/api/keys', async (c) => c.json(await listApiKeys(c)))
 * ```
 */
export async function listApiKeys(c: Context): Promise<ApiKeyRecord[]> {
  const manager = keyManagerOf(c)
  return manager.call((signal) =>
    manager.store.keys.listByOrganization(manager.organizationId, signal)
  )
}
