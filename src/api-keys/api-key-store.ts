/**
 * @module
 * Where organization API keys are kept: what creating, listing, revoking and rotating keys and
 * verifying one need, and nothing more. Implementations: MongoDB through the official driver
 * (`mongoApiKeys`, `ayz-auth/mongodb`), the Atlas Data API protocol over `fetch`
 * (`dataApiApiKeys`, `ayz-auth/data-api`) and process memory (`memoryApiKeys`, `ayz-auth/testing`).
 * A store never sees a key: only its hash and its first 12 characters.
 */
import type { ApiKeyChanges, ApiKeyRecord, NewApiKey, StoredApiKey } from './api-key-record.ts'

/**
 * A store of API keys. Each method is one round trip and rejects when the backend is unreachable;
 * `signal` aborts when the library stops waiting (after `timeoutMs`). A method given another
 * organization's key id behaves as for an unknown id.
 *
 * @example
 * ```ts
 * import { mongoApiKeys } from 'ayz-auth/mongodb'
 * app.use('/api/*', stytchAuth({ acceptTokens: ['session', 'api_key'], apiKeyStore: mongoApiKeys(process.env.MONGODB_URI!) }))
 * ```
 */
export interface ApiKeyStore {
  /** Stores a new key and resolves its record, with the id the store gave it. */
  insert(key: NewApiKey, signal?: AbortSignal): Promise<ApiKeyRecord>
  /** The key stored under `keyHash` (revoked and expired keys included), or `null`. */
  findByHash(keyHash: string, signal?: AbortSignal): Promise<StoredApiKey | null>
  /** The key `id` if `organizationId` owns it, else `null`. */
  findById(id: string, organizationId: string, signal?: AbortSignal): Promise<StoredApiKey | null>
  /** Every key `organizationId` owns (revoked and expired ones included), newest first. */
  listByOrganization(organizationId: string, signal?: AbortSignal): Promise<ApiKeyRecord[]>
  /** Applies `changes` to the key `id` if `organizationId` owns it; resolves whether it did. */
  update(
    id: string,
    organizationId: string,
    changes: ApiKeyChanges,
    signal?: AbortSignal
  ): Promise<boolean>
  /** Sets the key's `lastUsedAt` to `at` unless it is already later (it only moves forward). */
  touchLastUsed(id: string, at: Date, signal?: AbortSignal): Promise<void>
  /** How logs name the store, without secrets. */
  readonly name?: string
  /** Milliseconds a call may take before the store counts as unreachable. Default 2000. */
  readonly timeoutMs?: number
}
