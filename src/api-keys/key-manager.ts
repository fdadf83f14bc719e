/**
 * @module
 * Who manages an organization's API keys on a request, and with what: the caller's organization
 * and identity, the runtime's key store behind its breaker, and the checks every management
 * function shares (scopes no wider than the caller's grants, keys of the caller's organization).
 */
import type { Context } from 'hono'
import type { Principal } from '../context/auth-env.ts'
import {
  ApiKeyNotFoundError,
  ApiKeysUnavailableError,
  ConfigurationError,
  MISSING_TOKEN_MESSAGE,
  MissingPermissionError,
  TenancyMismatchError,
  TokenExtractionError,
} from '../errors/auth-error.ts'
import { bindingOf } from '../middleware/authenticate.ts'
import { hasPermission } from '../middleware/guards.ts'
import type { ApiKeyParts, Runtime } from '../runtime/runtime.ts'
import type { StoredApiKey } from './api-key-record.ts'

/** The caller of a management function, and the parts it uses. */
export interface KeyManager {
  readonly runtime: Runtime
  readonly store: ApiKeyParts
  /** The caller's organization, which owns every key it manages. */
  readonly organizationId: string
  /** Who acts, for `created_by` and events: a member id, a key (`api_key:<id>`), a user. */
  readonly actor: string
  /** A store call through the store's breaker: 503 `api_keys` when it fails. */
  call<R>(operation: (signal: AbortSignal) => Promise<R>): Promise<R>
  /** The key `id` of the caller's organization, or 404 (another organization's key too). */
  find(id: string): Promise<StoredApiKey>
  /** Throws 403 unless the caller may do everything `scopes` grant (`action:resource` each). */
  mayGrant(c: Context, scopes: readonly string[]): Promise<void>
}

/**
 * The key manager of an authenticated request: 401 without a principal, 403 for one without an
 * organization (a machine), a configuration error without a key store.
 *
 * @example
 * ```ts
 * const manager = keyManagerOf(c)
 * const stored = await manager.find(id)
 * ```
 */
export function keyManagerOf(c: Context): KeyManager {
  const auth = (c as Context<{ Variables: { auth: Principal | null } }>).get('auth')
  const binding = bindingOf(c)
  if (!auth || !binding) throw new TokenExtractionError(MISSING_TOKEN_MESSAGE)
  const { runtime } = binding
  const store = runtime.apiKeys
  if (!store)
    throw new ConfigurationError(
      'API keys need a store: set STYTCH_MONGODB_URI (or the Data API variables) or pass `apiKeyStore` to stytchAuth()'
    )
  const owner = ownerOf(auth)
  const call = async <R>(operation: (signal: AbortSignal) => Promise<R>): Promise<R> => {
    try {
      return await store.breaker.run(operation)
    } catch (cause) {
      throw new ApiKeysUnavailableError({ cause })
    }
  }
  return {
    runtime,
    store,
    ...owner,
    call,
    async find(id) {
      const stored = await call((signal) => store.keys.findById(id, owner.organizationId, signal))
      if (!stored) throw new ApiKeyNotFoundError()
      return stored
    },
    async mayGrant(request, scopes) {
      for (const scope of scopes) {
        const [action = '', resource = ''] = scope.split(':')
        // A scope naming no single resource (`read`, `read:*`) is no permission a role grants.
        if (
          resource === '' ||
          resource === '*' ||
          !(await hasPermission(request, resource, action))
        )
          throw new MissingPermissionError(resource || '*', action)
      }
    },
  }
}

/** The organization a principal manages keys for, and how it is named as an actor. */
function ownerOf(auth: Principal): { organizationId: string; actor: string } {
  switch (auth.kind) {
    case 'member':
    case 'oauth':
      return { organizationId: auth.organizationId, actor: auth.memberId }
    case 'api_key':
      return { organizationId: auth.organizationId, actor: `api_key:${auth.keyId}` }
    case 'user':
      if (auth.organizationId !== null)
        return { organizationId: auth.organizationId, actor: auth.userId }
      throw new TenancyMismatchError()
    case 'machine':
      throw new TenancyMismatchError()
  }
}
