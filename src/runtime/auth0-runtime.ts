/**
 * @module
 * The runtime of an `auth0Auth()`: the library's runtime (caches, revocations, entitlements,
 * telemetry, logging) with Auth0 as its identity provider: the project state of the tenant and
 * API, its access-token kind, entitlements found by Auth0's field names, no RBAC policy store.
 */
import { auth0TokenVerifier } from '../auth0/auth0-token-verifier.ts'
import type { ParsedOptions } from '../config/resolve-config.ts'
import { resolveConfig } from '../config/resolve-config.ts'
import type { EnvRecord } from '../config/read-env.ts'
import {
  resolveAuth0Config,
  type Auth0Config,
  type ParsedAuth0Options,
} from '../config/resolve-auth0-config.ts'
import { auth0Tokens } from '../credential/auth0-tokens.ts'
import { AUTH0_SCHEMA } from '../entitlements/entitlement-source.ts'
import { ConfigurationError } from '../errors/auth-error.ts'
import { buildRuntime, type IdentityProvider, type Runtime } from './runtime.ts'

/** Longest a JWKS fetch may take, whatever `timeoutMs` allows a request. */
const MAX_JWKS_TIMEOUT_MS = 5_000

/**
 * Builds the runtime of an `auth0Auth()`'s parsed options for the environment `vars`. A missing
 * or invalid setting throws the {@link ConfigurationError} naming it.
 *
 * @example
 * ```ts
 * const { shared, auth0 } = parseAuth0Options(options)
 * const runtime = await auth0Runtime(shared, auth0, readEnv(c), true)
 * ```
 */
export async function auth0Runtime(
  shared: ParsedOptions,
  auth0: ParsedAuth0Options,
  vars: EnvRecord,
  serving: boolean
): Promise<Runtime> {
  const config = resolveConfig(shared, vars, 'auth0Auth()')
  const tenant = resolveAuth0Config(auth0, vars)
  return buildRuntime(shared, config, serving, auth0Provider(tenant, config.timeoutMs))
}

/** Auth0 as the runtime's identity provider: one tenant's API. */
function auth0Provider(tenant: Auth0Config, timeoutMs: number): IdentityProvider {
  return {
    project: `auth0|${tenant.issuer}|${tenant.audience}`,
    secret() {
      if (tenant.secret === undefined)
        throw new ConfigurationError(
          'a shared cache seals its entries with a secret every instance shares: set AUTH0_CACHE_SECRET or pass `secret` to auth0Auth()'
        )
      return tenant.secret
    },
    entitlementSchema: AUTH0_SCHEMA,
    credentials({ logger, telemetry }) {
      const verifier = auth0TokenVerifier({
        issuer: tenant.issuer,
        jwksUrl: tenant.jwksUrl,
        audience: tenant.audience,
        algorithms: tenant.algorithms,
        timeoutMs: Math.min(timeoutMs, MAX_JWKS_TIMEOUT_MS),
        ...(telemetry && {
          fetch: (input, init) => telemetry.around('auth0', 'jwks', () => fetch(input, init)),
        }),
      })
      // An organization's API keys, when accepted, are a kind before this one.
      return [auth0Tokens(verifier, logger)]
    },
  }
}
