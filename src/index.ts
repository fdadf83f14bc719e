/**
 * @module
 * Stytch B2B (or Auth0) authentication, organization entitlements and team context for Hono.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { requireEntitlement, stytchAuth, type AuthEnv } from 'ayz-auth'
 *
 * const app = new Hono<AuthEnv>()
 * app.use('*', stytchAuth())
 * app.get('/x', requireEntitlement('foresight'), (c) => c.json(c.var.auth))
 * ```
 */
export { stytchAuth } from './middleware/stytch-auth.ts'
export { auth0Auth } from './middleware/auth0-auth.ts'
export type { Auth0AcceptedToken, Auth0AuthOptions } from './config/auth0-auth-options.ts'
export {
  guard,
  hasPermission,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  requireOrganization,
  requirePermission,
  requireScopes,
  type OrganizationOf,
} from './middleware/guards.ts'
export {
  protectedResourceMetadata,
  toMcpAuthInfo,
  type McpAuthInfo,
  type ProtectedResourceOptions,
} from './authorization/protected-resource.ts'
export { revokeSession } from './middleware/revoke-session.ts'
export { createApiKey, type NewApiKeyOptions } from './api-keys/create-api-key.ts'
export { listApiKeys } from './api-keys/list-api-keys.ts'
export { revokeApiKey } from './api-keys/revoke-api-key.ts'
export { rotateApiKey } from './api-keys/rotate-api-key.ts'
export type { ApiKeyStore } from './api-keys/api-key-store.ts'
export type {
  ApiKeyChanges,
  ApiKeyRecord,
  NewApiKey,
  StoredApiKey,
} from './api-keys/api-key-record.ts'
export { closeAuth } from './runtime/runtime-holder.ts'
export { createAuth, type Auth } from './middleware/create-auth.ts'
export { withinLimit, UNLIMITED } from './entitlements/within-limit.ts'
export { invalidateMember, invalidateOrganization } from './entitlements/invalidate.ts'
export { rateLimit } from './rate-limit/rate-limit.ts'
export { planLimit } from './rate-limit/plan-limit.ts'
export { RateLimitedError, type RateLimitedDetails } from './rate-limit/rate-limited-error.ts'
export type { RateLimitOptions, RateLimitWindow } from './rate-limit/rate-limit-options.ts'
export { memoryCache, MemoryCache, type MemoryCacheOptions } from './cache/memory-cache.ts'
export type { CacheStore } from './cache/cache-store.ts'
export {
  AuthContext,
  type AuthContextFields,
  type EntitlementFields,
  type EntitlementsStatus,
  type SessionFields,
} from './context/auth-context.ts'
export type {
  AcceptedToken,
  Auth0Env,
  AuthEnv,
  AuthVariables,
  EntitledAuthContext,
  EntitledAuthEnv,
  OptionalAuthEnv,
  Principal,
  PrincipalEnv,
  PrincipalOf,
} from './context/auth-env.ts'
export {
  MachineContext,
  OAuthContext,
  type MachineFields,
  type OAuthFields,
} from './context/token-contexts.ts'
export { ApiKeyContext, type ApiKeyFields } from './context/api-key-context.ts'
export { UserContext, type UserFields } from './context/user-context.ts'
export {
  AUTH0_SCHEMA,
  DEFAULT_SCHEMA,
  type EntitlementSchema,
  type EntitlementSource,
  type MemberDocuments,
  type MemberLookup,
  type SourceDocument,
} from './entitlements/entitlement-source.ts'
export type { SessionVerifier, VerifiedSession } from './verify/session-verifier.ts'
export type { ClaimRequirement, StytchAuthOptions } from './config/stytch-auth-options.ts'
export type { LogLevel, Logger } from './log/logger.ts'
export type {
  AuthEvent,
  CacheTier,
  MeterProviderLike,
  TracerProviderLike,
} from './telemetry/telemetry.ts'
export type { CookieNames, TokenKind, TokenSource } from './credential/extract-credential.ts'
export {
  Auth0ApiError,
  ApiKeyNotFoundError,
  ApiKeysUnavailableError,
  AuthError,
  ConfigurationError,
  EntitlementsNotConfiguredError,
  EntitlementsUnavailableError,
  InsufficientScopeError,
  InvalidRequestError,
  MissingClaimsError,
  MissingEntitlementError,
  MissingFactorsError,
  MissingPermissionError,
  StytchApiError,
  TenancyMismatchError,
  TokenExtractionError,
  TokenVerificationError,
  type AuthErrorBody,
} from './errors/auth-error.ts'
