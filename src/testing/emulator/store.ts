import type { AuthenticationFactor, Member, Organization } from 'stytch'

/**
 * A stored member session. Times are epoch milliseconds of the emulator's clock.
 *
 * @example
 * const live = record.expiresAt > now()
 */
export interface SessionRecord {
  readonly id: string
  readonly token: string
  readonly member: Member
  readonly organization: Organization
  readonly startedAt: number
  lastAccessedAt: number
  expiresAt: number
  readonly factors: AuthenticationFactor[]
  customClaims: Record<string, unknown>
}

/**
 * How a session is looked up: by `member_session_id` or by `session_token`.
 *
 * @example
 * store.liveSession({ token: body.session_token })
 */
export type SessionLocator = { id: string } | { token: string }

/** Claims a session cannot set: the registered JWT claims and Stytch's own namespace. */
const isReserved = (claim: string) =>
  ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'].includes(claim) ||
  claim.startsWith('https://stytch.com/')

/**
 * Merges `session_custom_claims` as Stytch does: `null` deletes a claim, reserved claims are
 * ignored, anything else is set.
 *
 * @example
 * mergeClaims({ plan: 'free', beta: true }, { plan: 'pro', beta: null, sub: 'x' }) // {plan:'pro'}
 */
export function mergeClaims(
  claims: Record<string, unknown>,
  changes: Record<string, unknown>
): Record<string, unknown> {
  const merged = { ...claims }
  for (const [claim, value] of Object.entries(changes)) {
    if (isReserved(claim)) continue
    if (value === null) delete merged[claim]
    else merged[claim] = value
  }
  return merged
}

/**
 * The emulator's in-memory state: organizations, members and sessions. A session is live while
 * its `expiresAt` is in the future; revoking deletes it.
 *
 * @example
 * const store = new EmulatorStore(Date.now)
 * store.liveSession({ token }) // the session, or undefined when unknown, revoked or expired
 */
export class EmulatorStore {
  readonly organizations = new Map<string, Organization>()
  readonly members = new Map<string, Member>()
  readonly #sessions = new Map<string, SessionRecord>()
  readonly #tokens = new Map<string, SessionRecord>()
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  /** Stores a new session. */
  addSession(session: SessionRecord): void {
    this.#sessions.set(session.id, session)
    this.#tokens.set(session.token, session)
  }

  /** The stored session with this id or token, live or expired. */
  session(locator: SessionLocator): SessionRecord | undefined {
    return 'id' in locator ? this.#sessions.get(locator.id) : this.#tokens.get(locator.token)
  }

  /** The session with this id or token, if it exists and has not expired. */
  liveSession(locator: SessionLocator): SessionRecord | undefined {
    const session = this.session(locator)
    return session && session.expiresAt > this.#now() ? session : undefined
  }

  /** Records an authentication: touches `lastAccessedAt`, extends expiry and merges claims. */
  authenticate(
    session: SessionRecord,
    changes: { durationMinutes?: number; customClaims?: Record<string, unknown> }
  ): void {
    session.lastAccessedAt = this.#now()
    if (changes.durationMinutes !== undefined) {
      session.expiresAt = session.lastAccessedAt + changes.durationMinutes * 60_000
    }
    if (changes.customClaims)
      session.customClaims = mergeClaims(session.customClaims, changes.customClaims)
  }

  /** Deletes a session. */
  revoke(session: SessionRecord): void {
    this.#sessions.delete(session.id)
    this.#tokens.delete(session.token)
  }

  /** Deletes every session of a member. */
  revokeMember(memberId: string): void {
    for (const session of this.#sessions.values()) {
      if (session.member.member_id === memberId) this.revoke(session)
    }
  }

  /** Makes a session expire now. */
  expire(session: SessionRecord): void {
    session.expiresAt = this.#now()
  }
}
