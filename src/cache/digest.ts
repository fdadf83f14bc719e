/**
 * @module
 * The digest a credential is cached under: lowercase hex SHA-256, never the credential itself.
 * Computed synchronously where the runtime has `node:crypto` (Node, Bun, Deno, Workers with
 * `nodejs_compat`), so a cache hit never awaits WebCrypto; through `crypto.subtle` otherwise. No
 * static `node:` import: the built-in is feature-detected.
 */

interface NodeHash {
  hash(algorithm: 'sha256', data: string, encoding: 'hex'): string
}

const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => Partial<NodeHash> | undefined } }
).process?.getBuiltinModule?.('node:crypto')
const nodeHash = typeof nodeCrypto?.hash === 'function' ? (nodeCrypto as NodeHash) : undefined
const encoder = new TextEncoder()

/**
 * The hex SHA-256 of `value`, computed synchronously; `undefined` on runtimes without
 * `node:crypto` (there, {@link digestOf} answers asynchronously).
 *
 * @example
 * ```ts
 * const id = syncDigestOf?.(token) // 'e3b0c442…' on Node, Bun and Deno
 * ```
 */
export const syncDigestOf: ((value: string) => string) | undefined =
  nodeHash && ((value) => nodeHash.hash('sha256', value, 'hex'))

/**
 * The hex SHA-256 of `value`, on every runtime.
 *
 * @example
 * ```ts
 * const id = await digestOf(token)
 * ```
 */
export async function digestOf(value: string): Promise<string> {
  if (syncDigestOf) return syncDigestOf(value)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}
