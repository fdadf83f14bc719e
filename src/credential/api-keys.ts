/**
 * @module
 * Organization API keys as a credential kind: told by their `ak_` prefix, checked (shape,
 * checksum, environment) with no lookup, verified once in the key store by their SHA-256, then
 * served from process memory. Revoked with `revokeApiKey`, not by a logout.
 */
import { checkApiKey, looksLikeApiKey, type ApiKeyEnvironment } from '../api-keys/api-key-format.ts'
import { apiKeyUsability } from '../api-keys/api-key-record.ts'
import type { ApiKeyStore } from '../api-keys/api-key-store.ts'
import type { LastUsed } from '../api-keys/last-used.ts'
import { digestOf } from '../cache/digest.ts'
import type { CircuitBreaker } from '../cache/circuit-breaker.ts'
import { ApiKeyContext } from '../context/api-key-context.ts'
import type { Principal } from '../context/auth-env.ts'
import {
  ApiKeysUnavailableError,
  ConfigurationError,
  TokenVerificationError,
} from '../errors/auth-error.ts'
import type { CredentialKind } from './credential-kind.ts'

const API_KEY: readonly Principal['kind'][] = ['api_key']

/** Where keys are checked: the project's environment, and the store (absent: none configured). */
export interface ApiKeySettings {
  readonly environment: ApiKeyEnvironment
  readonly store?:
    | { readonly keys: ApiKeyStore; readonly breaker: CircuitBreaker; readonly lastUsed: LastUsed }
    | undefined
}

/**
 * The API key kind. Without a store, keys are still recognized and their format checked (so a key
 * never reaches Stytch), and a route accepting them is a configuration error.
 *
 * @example
 * ```ts
 * const kinds = [apiKeys({ environment: 'test', store }), stytchJwts(…), stytchSessionTokens(…)]
 * ```
 */
export function apiKeys({ environment, store }: ApiKeySettings): CredentialKind {
  return {
    name: 'api_key',
    recognizes: looksLikeApiKey,
    malformed(token) {
      const checked = checkApiKey(token, environment)
      return checked.ok ? undefined : checked.message
    },
    yields: () => API_KEY,
    fleet: false,
    async verify(token) {
      if (!store)
        throw new ConfigurationError(
          "acceptTokens includes 'api_key', so an API key store is needed: set STYTCH_MONGODB_URI (or the Data API's variables) or pass `apiKeyStore`"
        )
      const hash = await digestOf(token)
      let stored
      try {
        stored = await store.breaker.run((signal) => store.keys.findByHash(hash, signal))
      } catch (cause) {
        throw new ApiKeysUnavailableError({ cause })
      }
      const usability = stored ? apiKeyUsability(stored.record) : undefined
      if (!stored || !usability?.usable) throw new TokenVerificationError()
      const { record } = stored
      store.lastUsed.touch(record.id)
      const auth = new ApiKeyContext({
        keyId: record.id,
        name: record.name,
        organizationId: record.organizationId,
        createdBy: record.createdBy,
        scopes: record.scopes,
        expiresAt: record.expiresAt,
        authenticatedAt: new Date(),
      })
      return { auth, validUntil: usability.until?.getTime() ?? Infinity }
    },
    // A key is ended with `revokeApiKey`: a logout made with one revokes nothing.
    revoke: async () => undefined,
  }
}
