/**
 * @module
 * `createApiKey()`: a new key for the caller's organization, shown once.
 */
import type { Context } from 'hono'
import * as v from 'valibot'
import { InvalidRequestError } from '../errors/auth-error.ts'
import { generateApiKey } from './api-key-format.ts'
import { MAX_API_KEY_SECONDS, storableApiKey, type ApiKeyRecord } from './api-key-record.ts'
import { keyManagerOf } from './key-manager.ts'

/** What {@link createApiKey} takes. */
export interface NewApiKeyOptions {
  /** A name to tell it apart, e.g. `CI`. */
  readonly name: string
  /** Scopes as M2M scopes: `action:resource` each, no wider than the caller may do. */
  readonly scopes: readonly string[]
  /** Seconds until it expires (none: never), at most 100 years. */
  readonly expiresIn?: number
}

/** A new key's options, checked (the compiler holds the schema to {@link NewApiKeyOptions}). */
const NewKey: v.GenericSchema<NewApiKeyOptions, NewApiKeyOptions> = v.object({
  name: v.pipe(v.string(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(200)),
  scopes: v.array(v.pipe(v.string(), v.regex(/^[^\s:]+:[^\s:]+$/, 'must be action:resource'))),
  expiresIn: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(
        MAX_API_KEY_SECONDS,
        `must be at most ${MAX_API_KEY_SECONDS} (100 years); give none for a key that never expires`
      )
    )
  ),
})

/**
 * Creates an API key for the caller's organization and returns it once, with its record (the
 * store keeps only its SHA-256 and first 12 characters). The caller must hold every permission
 * its `scopes` grant (`read:reports` = permission `read` on `reports`), else 403; a malformed
 * request is a 400. Emits `api_key.created`.
 *
 * @example
 * ```ts
 * app.post('/api/keys', requirePermission('api_keys', 'create'), async (c) =>
 *   c.json(await createApiKey(c, { name: 'CI', scopes: ['read:reports'], expiresIn: 90 * 86400 }), 201))
 * ```
 */
export async function createApiKey(
  c: Context,
  options: NewApiKeyOptions
): Promise<{ key: string; record: ApiKeyRecord }> {
  const parsed = v.safeParse(NewKey, options)
  if (!parsed.success)
    throw new InvalidRequestError(
      parsed.issues
        .map((issue) => `${v.getDotPath(issue) ?? 'options'}: ${issue.message}`)
        .join('; ')
    )
  const { name, scopes, expiresIn } = parsed.output
  const manager = keyManagerOf(c)
  await manager.mayGrant(c, scopes)
  const key = generateApiKey(manager.runtime.environment)
  const storable = await storableApiKey(key, {
    organizationId: manager.organizationId,
    createdBy: manager.actor,
    name,
    scopes: [...scopes],
    expiresAt: expiresIn === undefined ? null : new Date(Date.now() + expiresIn * 1000),
    replaces: null,
  })
  const record = await manager.call((signal) => manager.store.keys.insert(storable, signal))
  manager.runtime.telemetry?.apiKeyChanged({
    type: 'api_key.created',
    keyId: record.id,
    organizationId: record.organizationId,
    actor: manager.actor,
  })
  return { key, record }
}
