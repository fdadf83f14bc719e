/**
 * A Stytch-style identifier for the test environment: `<kind>-test-<uuid>`.
 *
 * @example
 * testId('member-session') // 'member-session-test-5d2e1c8a-0f3b-4a77-9e1d-2c6b7a8f9e01'
 */
export function testId(kind: string): string {
  return `${kind}-test-${crypto.randomUUID()}`
}

/**
 * A fresh `request_id`, as Stytch puts in every response body.
 *
 * @example
 * newRequestId() // 'request-id-test-0b6f7c2e-1d7a-4f0e-9a51-3f1b8a2c9d10'
 */
export function newRequestId(): string {
  return testId('request-id')
}

/**
 * A fresh opaque session token: 44 base64url characters (33 random bytes), like Stytch's.
 *
 * @example
 * newSessionToken() // 'mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q'
 */
export function newSessionToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(33))
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
}
