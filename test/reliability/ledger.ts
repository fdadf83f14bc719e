/**
 * The oracle of the suite: which credentials the emulator issued to whom, and every `c.var.auth`
 * a handler saw. A handled request is legitimate only if its `c.var.auth` is the identity of a
 * credential the request itself carried; anything else (no session, a forged token, another
 * member's session) is a violation.
 */
import type { Context } from 'hono'
import { AuthContext } from '../../src/index.ts'
import type { EmulatedSession } from '../../src/testing/index.ts'

/** Who a credential authenticates. */
export interface Identity {
  readonly memberId: string
  readonly organizationId: string
  readonly sessionId: string
}

/** What one handler saw. */
export interface HandledRequest {
  readonly route: string
  readonly auth: unknown
  /** Every credential the request carried (bearer token, Stytch cookies). */
  readonly credentials: readonly string[]
  /** Whether the route is optional (a `null` auth is then legitimate). */
  readonly optional: boolean
}

const COOKIE_NAMES = ['stytch_session', 'stytch_session_jwt']

/**
 * Credentials issued and requests handled, checked against each other.
 *
 * @example
 * ```ts
 * const ledger = new HandlerLedger()
 * const session = ledger.issue(await emulator.seed())
 * // … requests …
 * expect(ledger.violations()).toEqual([])
 * ```
 */
export class HandlerLedger {
  readonly #issued = new Map<string, Identity>()
  readonly #streaming: boolean
  readonly #streamedViolations: string[] = []
  /** Every handled request (none kept when streaming). */
  readonly handled: HandledRequest[] = []
  /** How many requests reached a handler. */
  handledCount = 0

  /**
   * @param options `streaming`: check each request as it is handled and keep only violations (a
   *   load test's memory stays flat); credentials must then be issued before they are sent.
   */
  constructor(options: { readonly streaming?: boolean } = {}) {
    this.#streaming = options.streaming ?? false
  }

  /** Registers the session token and JWT of a session the emulator issued. */
  issue(session: EmulatedSession): EmulatedSession {
    const identity = identityOf(session)
    this.#issued.set(session.sessionToken, identity)
    this.#issued.set(session.sessionJwt, identity)
    return session
  }

  /** Registers another credential of an issued session (a JWT minted later, with another key). */
  alias(credential: string, session: EmulatedSession): string {
    this.#issued.set(credential, identityOf(session))
    return credential
  }

  /** Records what the handler of `route` saw (call it from the handler). */
  record(c: Context, route: string, optional = false): void {
    this.handledCount++
    const request = {
      route,
      auth: c.get('auth'),
      credentials: credentialsIn(c.req.raw.headers),
      optional,
    }
    if (!this.#streaming) {
      this.handled.push(request)
      return
    }
    const problem = this.#problemWith(request)
    if (problem && this.#streamedViolations.length < 100)
      this.#streamedViolations.push(`${route}: ${problem}`)
  }

  /** Every handled request that did not carry a credential of the identity its handler saw. */
  violations(): string[] {
    const checked = this.handled.flatMap((request) => {
      const problem = this.#problemWith(request)
      return problem ? [`${request.route}: ${problem}`] : []
    })
    return [...this.#streamedViolations, ...checked]
  }

  #problemWith({ auth, credentials, optional }: HandledRequest): string | undefined {
    if (auth === null && optional) return undefined
    if (!(auth instanceof AuthContext))
      return `handler saw ${describe(auth)} instead of a verified session`
    const matches = credentials.some((credential) =>
      sameIdentity(this.#issued.get(credential), auth)
    )
    if (matches) return undefined
    return `handler saw member ${auth.memberId} of ${auth.organizationId}, which no credential of the request belongs to`
  }
}

/** The identity of an emulated session. */
export function identityOf(session: EmulatedSession): Identity {
  return {
    memberId: session.member.member_id,
    organizationId: session.organization.organization_id,
    sessionId: session.session.member_session_id,
  }
}

function sameIdentity(identity: Identity | undefined, auth: AuthContext): boolean {
  return (
    identity !== undefined &&
    identity.memberId === auth.memberId &&
    identity.organizationId === auth.organizationId &&
    identity.sessionId === auth.sessionId
  )
}

/**
 * The bearer token and Stytch cookie values of a request, however malformed the headers are, each
 * also URL-decoded and unquoted (the forms a cookie parser may read it in).
 */
function credentialsIn(headers: Headers): string[] {
  const found: string[] = []
  const authorization = headers.get('authorization')
  if (authorization !== null) found.push(...authorization.split(/[\s,]+/).filter(Boolean))
  const cookie = headers.get('cookie')
  if (cookie !== null) {
    for (const pair of cookie.split(';')) {
      const separator = pair.indexOf('=')
      if (separator < 0) continue
      if (COOKIE_NAMES.includes(pair.slice(0, separator).trim()))
        found.push(pair.slice(separator + 1).trim())
    }
  }
  return found.flatMap((value) => [value, ...readingsOf(value)])
}

function readingsOf(value: string): string[] {
  const unquoted = value.replace(/^"(.*)"$/, '$1')
  let decoded = unquoted
  try {
    decoded = decodeURIComponent(unquoted)
  } catch {
    // not URL-encoded
  }
  return [unquoted, decoded]
}

function describe(value: unknown): string {
  if (value === undefined) return 'no c.var.auth'
  if (value === null) return 'a null c.var.auth on a protected route'
  return `a ${typeof value} that is not an AuthContext`
}
