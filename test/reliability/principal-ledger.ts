/**
 * The oracle for routes that accept access tokens: which M2M and Connected Apps tokens the emulator
 * issued to whom, and every `c.var.auth` a handler saw. A member's session goes to the
 * {@link HandlerLedger} it is given; a machine or an OAuth principal is legitimate only if the
 * request itself carried a token issued to exactly that client (and member and organization).
 */
import type { Context } from 'hono'
import { AuthContext, MachineContext, OAuthContext } from '../../src/index.ts'
import type { HandlerLedger } from './ledger.ts'

/** Who an access token authenticates. */
export type TokenIdentity =
  | { readonly kind: 'machine'; readonly clientId: string }
  | {
      readonly kind: 'oauth'
      readonly memberId: string
      readonly organizationId: string
      readonly clientId: string | null
    }

/** What one handler saw. */
interface HandledRequest {
  readonly route: string
  readonly auth: unknown
  readonly credentials: readonly string[]
  readonly optional: boolean
}

const COOKIE_NAMES = ['stytch_session', 'stytch_session_jwt']

/**
 * Access tokens issued and requests handled, checked against each other; members' sessions are
 * checked by `sessions`.
 *
 * @example
 * ```ts
 * const tokens = new PrincipalLedger(ledger)
 * tokens.issue(await emulator.mintM2MToken({ clientId, scopes }), { kind: 'machine', clientId })
 * // … requests …
 * expect(tokens.violations()).toEqual([])
 * ```
 */
export class PrincipalLedger {
  readonly #issued = new Map<string, TokenIdentity>()
  readonly #handled: HandledRequest[] = []
  readonly #sessions: HandlerLedger
  /** How many requests reached a handler, members' sessions included. */
  handledCount = 0

  constructor(sessions: HandlerLedger) {
    this.#sessions = sessions
  }

  /** Registers an access token the emulator issued, and who it authenticates. */
  issue(token: string, identity: TokenIdentity): string {
    this.#issued.set(token, identity)
    return token
  }

  /** Records what the handler of `route` saw (call it from the handler). */
  record(c: Context, route: string, optional = false): void {
    this.handledCount++
    const auth: unknown = c.get('auth')
    if (auth instanceof AuthContext) {
      this.#sessions.record(c, route, optional)
      return
    }
    this.#handled.push({ route, auth, credentials: credentialsIn(c.req.raw.headers), optional })
  }

  /** Every handled request whose principal no credential of the request was issued to. */
  violations(): string[] {
    return this.#handled.flatMap(({ route, auth, credentials, optional }) => {
      if (auth === null && optional) return []
      if (!(auth instanceof MachineContext) && !(auth instanceof OAuthContext))
        return [`${route}: handler saw ${describe(auth)} instead of a verified principal`]
      if (credentials.some((credential) => sameIdentity(this.#issued.get(credential), auth)))
        return []
      return [
        `${route}: handler saw ${JSON.stringify(identityOf(auth))}, issued to no credential of the request`,
      ]
    })
  }
}

function identityOf(auth: MachineContext | OAuthContext): TokenIdentity {
  return auth.kind === 'machine'
    ? { kind: 'machine', clientId: auth.clientId }
    : {
        kind: 'oauth',
        memberId: auth.memberId,
        organizationId: auth.organizationId,
        clientId: auth.clientId,
      }
}

function sameIdentity(
  identity: TokenIdentity | undefined,
  auth: MachineContext | OAuthContext
): boolean {
  if (identity === undefined) return false
  const seen = identityOf(auth)
  if (identity.kind === 'machine' || seen.kind === 'machine')
    return identity.kind === seen.kind && identity.clientId === seen.clientId
  return (
    identity.memberId === seen.memberId &&
    identity.organizationId === seen.organizationId &&
    identity.clientId === seen.clientId
  )
}

/** The bearer token and Stytch cookie values of a request, as sent. */
function credentialsIn(headers: Headers): string[] {
  const found: string[] = []
  const authorization = headers.get('authorization')
  if (authorization !== null) found.push(...authorization.split(/[\s,]+/).filter(Boolean))
  for (const pair of (headers.get('cookie') ?? '').split(';')) {
    const separator = pair.indexOf('=')
    if (separator >= 0 && COOKIE_NAMES.includes(pair.slice(0, separator).trim()))
      found.push(pair.slice(separator + 1).trim())
  }
  return found
}

function describe(value: unknown): string {
  if (value === undefined) return 'no c.var.auth'
  if (value === null) return 'a null c.var.auth on a protected route'
  return `a ${typeof value} that is neither a MachineContext nor an OAuthContext`
}
