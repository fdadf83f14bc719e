/**
 * @module
 * An API key as stored and as shown. The stored document (`api_keys`, snake_case, as every store
 * keeps it) is read back through one valibot schema, whichever way the store returns ids (an
 * ObjectId, EJSON `{ $oid }` or hex text) and dates (a `Date` or ISO 8601 text), into the hash
 * it is found by and the public record: the record never holds the key or its hash.
 */
import * as v from 'valibot'
import type { ObjectIdOf } from '../entitlements/queries.ts'
import { objectIdHex } from '../entitlements/records.ts'
import { hashOfApiKey, startOfApiKey } from './api-key-format.ts'

const Id: v.GenericSchema<unknown, string> = v.pipe(
  v.unknown(),
  v.transform(objectIdHex),
  v.string()
)
const Instant: v.GenericSchema<unknown, Date> = v.pipe(
  v.union([v.date(), v.pipe(v.string(), v.isoTimestamp())]),
  v.transform((value) => new Date(value))
)
const Text: v.GenericSchema<unknown, string> = v.pipe(v.string(), v.nonEmpty())

/** An API key as callers see it: never the key, never its hash. */
export interface ApiKeyRecord {
  /** The stored document's id (24 hex digits). */
  readonly id: string
  /** The key's first 12 characters, to tell keys apart. */
  readonly start: string
  /** The Stytch organization owning the key. */
  readonly organizationId: string
  /** Who created it (a Stytch member id). */
  readonly createdBy: string
  readonly name: string
  readonly scopes: string[]
  readonly createdAt: Date
  /** `null`: never expires. */
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
  /** Approximate: written at most once a minute per key and instance. */
  readonly lastUsedAt: Date | null
  /** The id of the key this one was rotated from. */
  readonly replaces: string | null
  /** When rotated out: the end of its grace period. */
  readonly graceUntil: Date | null
}

/** A stored key: the hash it is found by and its public record. */
export interface StoredApiKey {
  /** Lowercase hex SHA-256 of the whole key. */
  readonly keyHash: string
  readonly record: ApiKeyRecord
}

/**
 * The longest time, in seconds, a key's expiry or grace period may lie ahead: 100 years. Longer is
 * no date a store keeps (past JavaScript's last date the driver writes 1970); a key that should
 * never expire is given no expiry.
 */
export const MAX_API_KEY_SECONDS = 100 * 365 * 86_400

/**
 * A stored `api_keys` document, read into the hash it is found by and its public record (its type
 * is spelled out above, as JSR wants a public type; the compiler holds the schema to it).
 *
 * @example
 * ```ts
 * const { keyHash, record } = v.parse(ApiKeyDocumentSchema, await collection.findOne({ key_hash }))
 * ```
 */
export const ApiKeyDocumentSchema: v.GenericSchema<unknown, StoredApiKey> = v.pipe(
  v.object({
    _id: Id,
    key_hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    start: v.string(),
    organization_id: Text,
    created_by: Text,
    name: v.string(),
    scopes: v.array(v.string()),
    created_at: Instant,
    expires_at: v.nullish(Instant, null),
    revoked_at: v.nullish(Instant, null),
    last_used_at: v.nullish(Instant, null),
    replaces: v.nullish(Id, null),
    grace_until: v.nullish(Instant, null),
  }),
  v.transform((document): StoredApiKey => ({
    keyHash: document.key_hash,
    record: {
      id: document._id,
      start: document.start,
      organizationId: document.organization_id,
      createdBy: document.created_by,
      name: document.name,
      scopes: document.scopes,
      createdAt: document.created_at,
      expiresAt: document.expires_at,
      revokedAt: document.revoked_at,
      lastUsedAt: document.last_used_at,
      replaces: document.replaces,
      graceUntil: document.grace_until,
    },
  }))
)

/** What a store is given to insert: the store assigns the id; nothing is revoked or used yet. */
export type NewApiKey = Readonly<
  Omit<ApiKeyRecord, 'id' | 'revokedAt' | 'lastUsedAt' | 'graceUntil'> & { keyHash: string }
>

/** What {@link storableApiKey} needs besides the key. */
export type NewApiKeyDetails = Omit<NewApiKey, 'keyHash' | 'start' | 'createdAt'>

/** The changes a store applies to a key: revoking it, or ending it at the close of a grace period. */
export interface ApiKeyChanges {
  readonly revokedAt?: Date
  readonly graceUntil?: Date
}

/** Whether a stored key may authenticate now, and until when (`null`: no end), for cache bounds. */
export type ApiKeyUsability =
  | { readonly usable: true; readonly until: Date | null }
  | { readonly usable: false; readonly reason: 'revoked' | 'expired' | 'rotated' }

/**
 * The stored key of a document from a store; throws a `TypeError` naming the malformed fields
 * (never their values) when the schema refuses it, so a damaged document never authenticates.
 *
 * @example
 * ```ts
 * const document = await collection.findOne({ key_hash })
 * return document && storedApiKeyOf(document)
 * ```
 */
export function storedApiKeyOf(document: unknown): StoredApiKey {
  const parsed = v.safeParse(ApiKeyDocumentSchema, document)
  if (parsed.success) return parsed.output
  const id = objectIdHex((document as { _id?: unknown } | null)?._id) ?? 'without a usable _id'
  const fields = [...new Set(parsed.issues.map((issue) => v.getDotPath(issue) ?? 'document'))]
  throw new TypeError(`api_keys document ${id} is malformed: ${fields.join(', ')}`)
}

/**
 * What to insert for `key`: its hash and start, `details`, and `createdAt`.
 *
 * @example
 * ```ts
 * const key = generateApiKey('live')
 * const record = await store.insert(
 *   await storableApiKey(key, { organizationId, createdBy, name: 'CI', scopes: [], expiresAt: null, replaces: null })
 * )
 * ```
 */
export async function storableApiKey(
  key: string,
  details: NewApiKeyDetails,
  createdAt = new Date()
): Promise<NewApiKey> {
  return { ...details, keyHash: await hashOfApiKey(key), start: startOfApiKey(key), createdAt }
}

/**
 * The document a store inserts for `key` (without `_id`), with `replaces` written by `objectId`.
 *
 * @example
 * ```ts
 * await collection.insertOne(apiKeyDocumentOf(key, (hex) => new ObjectId(hex)))
 * ```
 */
export function apiKeyDocumentOf(key: NewApiKey, objectId: ObjectIdOf): Record<string, unknown> {
  return {
    key_hash: key.keyHash,
    start: key.start,
    organization_id: key.organizationId,
    created_by: key.createdBy,
    name: key.name,
    scopes: [...key.scopes],
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    revoked_at: null,
    last_used_at: null,
    replaces: key.replaces === null ? null : objectId(key.replaces),
    grace_until: null,
  }
}

/**
 * The stored fields `changes` sets (an update's `$set`).
 *
 * @example
 * ```ts
 * await collection.updateOne(filter, { $set: apiKeyFieldsOf({ revokedAt: new Date() }) })
 * ```
 */
export function apiKeyFieldsOf(changes: ApiKeyChanges): Record<string, Date> {
  return {
    ...(changes.revokedAt ? { revoked_at: changes.revokedAt } : {}),
    ...(changes.graceUntil ? { grace_until: changes.graceUntil } : {}),
  }
}

/**
 * Whether the key of `record` may authenticate at `now`: not revoked, not expired, and, when
 * rotated out, within its grace period; `until` is the earliest of its expiry and grace end.
 *
 * @example
 * ```ts
 * const usability = apiKeyUsability(stored.record)
 * if (!usability.usable) throw new AuthError('token_verification', `API key ${usability.reason}`)
 * ```
 */
export function apiKeyUsability(
  record: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt' | 'graceUntil'>,
  now = new Date()
): ApiKeyUsability {
  const { revokedAt, expiresAt, graceUntil } = record
  if (revokedAt) return { usable: false, reason: 'revoked' }
  if (expiresAt && expiresAt <= now) return { usable: false, reason: 'expired' }
  if (graceUntil && graceUntil <= now) return { usable: false, reason: 'rotated' }
  const ends = [expiresAt, graceUntil].filter((end) => end !== null)
  return {
    usable: true,
    until: ends.length ? new Date(Math.min(...ends.map((end) => end.getTime()))) : null,
  }
}

/**
 * `records`, newest first (by creation, then id): the order every store lists an organization's
 * keys in.
 *
 * @example
 * ```ts
 * return newestFirst(documents.map((document) => storedApiKeyOf(document).record))
 * ```
 */
export function newestFirst(records: ApiKeyRecord[]): ApiKeyRecord[] {
  return records.sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id)
  )
}
