/**
 * @module
 * Random identifiers shaped as Auth0's: client ids and secrets, and user ids.
 */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * `length` random alphanumeric characters, as Auth0's client ids (32) and secrets (64) are.
 *
 * @example
 * randomAlphanumeric(32) // 'q3XwJ0b9mZ1cYk7TfA2nVh8LsR4pDe6G'
 */
export function randomAlphanumeric(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('')
}

/**
 * `length` random lowercase hexadecimal digits, as in Auth0's database user ids.
 *
 * @example
 * `auth0|${randomHex(24)}` // 'auth0|65f1c0ab9d2e4f7a8b3c1d0e'
 */
export function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, length)
}
