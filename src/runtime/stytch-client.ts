/**
 * @module
 * Building a `B2BClient` from settings, and reading back the settings of a client a user passed.
 */
import { B2BClient } from 'stytch'

/** What the library needs to know about a client. */
export interface ClientDetails {
  readonly projectId: string | undefined
  readonly secret: string | undefined
  /** API origin, no trailing slash. */
  readonly baseUrl: string | undefined
}

/** The parts of the SDK client that its types mark protected. */
interface ClientInternals {
  fetchConfig?: { baseURL?: string; headers?: Record<string, string> }
  jwtConfig?: { projectID?: string }
}

/**
 * A `B2BClient` for a project. An `http://` base URL (allowed only on loopback: the emulator) is
 * passed as the SDK's `env`, which accepts any scheme but warns; that one warning is not printed.
 *
 * @example
 * ```ts
 * const client = createStytchClient({ projectId, secret, baseUrl: 'https://test.stytch.com' })
 * ```
 */
export function createStytchClient(settings: {
  readonly projectId: string
  readonly secret: string
  readonly baseUrl: string
}): B2BClient {
  const { projectId: project_id, secret, baseUrl } = settings
  if (baseUrl.startsWith('https://'))
    return new B2BClient({ project_id, secret, custom_base_url: baseUrl })
  const warn = console.warn
  console.warn = () => {}
  try {
    return new B2BClient({ project_id, secret, env: `${baseUrl}/` })
  } finally {
    console.warn = warn
  }
}

/**
 * The project id, secret and base URL a client was built with.
 *
 * @example
 * ```ts
 * clientDetails(client).projectId // 'project-test-…'
 * ```
 */
export function clientDetails(client: B2BClient): ClientDetails {
  const internals = client as unknown as ClientInternals
  const basic = internals.fetchConfig?.headers?.['Authorization']?.replace(/^Basic /, '')
  const credentials = basic ? decodeBase64(basic) : undefined
  const separator = credentials?.indexOf(':') ?? -1
  return {
    projectId: internals.jwtConfig?.projectID,
    secret: credentials && separator > 0 ? credentials.slice(separator + 1) : undefined,
    baseUrl: internals.fetchConfig?.baseURL?.replace(/\/+$/, ''),
  }
}

function decodeBase64(text: string): string | undefined {
  try {
    return atob(text)
  } catch {
    return undefined
  }
}
