/**
 * @module
 * The JWS algorithms an Auth0 token may be verified with: asymmetric ones, whose public keys a
 * JWKS publishes. `HS*` (a shared secret, which a JWKS never holds) and `none` are never among them.
 */

/**
 * The asymmetric JWS algorithms jose verifies with Web Crypto.
 *
 * @example
 * ```ts
 * ASYMMETRIC_ALGORITHMS.has('RS256') // true
 * ASYMMETRIC_ALGORITHMS.has('HS256') // false
 * ```
 */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])
