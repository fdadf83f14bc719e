/**
 * @module
 * SHA-256 of a token, synchronously where the runtime has `node:crypto` (Node, Bun, Deno, Workers
 * with `nodejs_compat`), so an in-process cache hit never awaits WebCrypto; through
 * `crypto.subtle` otherwise. No static `node:` import: the built-in is feature-detected.
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
 * The lowercase hex SHA-256 of `value`: a string when it can be computed synchronously, else a
 * promise of it.
 *
 * @example
 * ```ts
 * const digest = sha256Hex(token)
 * const hex = typeof digest === 'string' ? digest : await digest
 * ```
 */
export function sha256Hex(value: string): string | Promise<string> {
  return nodeHash ? nodeHash.hash('sha256', value, 'hex') : subtleSha256Hex(value)
}

async function subtleSha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}
