/**
 * @module
 * The enrich stage: the organization's entitlements and the member's team for a verified session.
 */
import type { CircuitBreaker } from '../cache/circuit-breaker.ts'
import type { ReadThroughCache } from '../cache/read-through.ts'
import { NO_ENTITLEMENTS, type EntitlementFields } from '../context/auth-context.ts'
import { deepEqual } from '../context/deep-equal.ts'
import { describeError } from '../log/describe-error.ts'
import type { Logger } from '../log/logger.ts'
import type { Telemetry } from '../telemetry/telemetry.ts'
import type { EntitlementSource } from './entitlement-source.ts'
import {
  memberRecord,
  organizationRecord,
  type MemberRecord,
  type OrganizationRecord,
} from './records.ts'

/** How long an organization's subscription is cached (as the original: 1 hour). */
export const ORGANIZATION_TTL_MS = 3_600_000
/** How long a member's user id is cached (as the original since 2.0.1: 1 hour). */
export const USER_ID_TTL_MS = 3_600_000
/** How long "no such organization" is cached, so a new organization shows up soon. */
const MISSING_ORGANIZATION_TTL_MS = 60_000

/** What an {@link EntitlementLoader} is built from. */
export interface EntitlementLoaderOptions {
  readonly source: EntitlementSource
  /** The source's one timeout and breaker. */
  readonly breaker: CircuitBreaker
  readonly organizations: ReadThroughCache<OrganizationRecord | null>
  readonly userIds: ReadThroughCache<string>
  /** Caches user + team when a team TTL is set; without it the team is read fresh every request. */
  readonly members?: {
    readonly cache: ReadThroughCache<MemberRecord | null>
    readonly ttlMs: number
  }
  readonly logger: Logger
  /** Reports each source call as an `entitlements` upstream call, when telemetry is on. */
  readonly telemetry?: Telemetry | undefined
}

const UNAVAILABLE = Symbol('unavailable')

/**
 * Loads the entitlement fields of a session: the organization's subscription (cached 1 h) and, in
 * parallel, the member's user id (cached 1 h) and current team (fresh on every request unless a
 * team TTL is set). The team counts only if it belongs to the member's organization. A source
 * outage never fails authentication: the fields read as unavailable and entitlement guards answer
 * 503. The source's breaker stops asking a failed source for 2 s, so an outage costs one timeout
 * now and then, not one on every request.
 *
 * @example
 * ```ts
 * const enriched = await loader.entitled(auth, auth)
 * ```
 */
export class EntitlementLoader {
  readonly #options: EntitlementLoaderOptions
  /** The last entitled form of each principal, with the records it was made of. */
  readonly #entitled = new WeakMap<
    object,
    {
      readonly organization: OrganizationRecord | null
      member: MemberRecord | null
      readonly value: unknown
    }
  >()

  constructor(options: EntitlementLoaderOptions) {
    this.#options = options
  }

  /**
   * `auth` with the entitlements of its organization and, when known, its member (for the team),
   * read through the caches (the team fresh unless `teamTtl` caches it). The same object as last
   * time while the records read are the same as last time's: a fresh read that finds nothing
   * changed builds no new context.
   */
  async entitled<P extends Enrichable<P>>(auth: P, of: Entitled): Promise<P> {
    const reading = of.memberId === undefined ? null : this.#member(of.memberId)
    // The organization is nearly always in memory (cached 1 h): then nothing waits for it.
    const known = this.#options.organizations.peek(of.organizationId)
    const organization = known !== undefined ? known : await this.#organization(of.organizationId)
    const member = await reading
    if (organization === UNAVAILABLE)
      return auth.withEntitlements({ ...NO_ENTITLEMENTS, entitlementsStatus: 'unavailable' })
    return this.#entitledWith(auth, organization, member)
  }

  /**
   * `auth` with its entitlements, synchronously, when every record it needs is in process memory
   * (the organization, and the member's team when `teamTtl` caches it); else `undefined`. The same
   * object as last time while its records are the same ones: the hot path allocates nothing.
   */
  peekEntitled<P extends Enrichable<P>>(auth: P, of: Entitled): P | undefined {
    const { organizations, members } = this.#options
    const organization = organizations.peek(of.organizationId)
    if (organization === undefined) return undefined
    const member = of.memberId === undefined ? null : members?.cache.peek(of.memberId)
    if (member === undefined) return undefined
    return this.#entitledWith(auth, organization, member)
  }

  /** `auth` with the fields of these records: last time's object if the records are the same. */
  #entitledWith<P extends Enrichable<P>>(
    auth: P,
    organization: OrganizationRecord | null,
    member: MemberRecord | null
  ): P {
    const last = this.#entitled.get(auth)
    if (last?.organization === organization && deepEqual(last.member, member)) {
      // The same team read again: held, so that the next request compares by identity.
      last.member = member
      return last.value as P
    }
    const value = auth.withEntitlements(fieldsOf(organization, member))
    this.#entitled.set(auth, { organization, member, value })
    return value
  }

  async #organization(
    stytchOrganizationId: string
  ): Promise<OrganizationRecord | null | typeof UNAVAILABLE> {
    const { organizations, source } = this.#options
    try {
      const { value } = await organizations.getOrLoad(stytchOrganizationId, async () => {
        const doc = await this.#call(
          'findOrganization',
          callOf(source, source.findOrganization, stytchOrganizationId)
        )
        const record = doc ? (organizationRecord(doc, source.schema, this.#report) ?? null) : null
        return { value: record, ttlMs: record ? ORGANIZATION_TTL_MS : MISSING_ORGANIZATION_TTL_MS }
      })
      return value
    } catch (error) {
      this.#options.logger.warn('entitlement source unreachable and organization not cached', {
        organizationId: stytchOrganizationId,
        error: describeError(error),
      })
      return UNAVAILABLE
    }
  }

  async #member(stytchMemberId: string): Promise<MemberRecord | null> {
    const { members } = this.#options
    try {
      if (!members) return await this.#freshMember(stytchMemberId)
      const { value } = await members.cache.getOrLoad(stytchMemberId, async () => ({
        value: await this.#freshMember(stytchMemberId),
        ttlMs: members.ttlMs,
      }))
      return value
    } catch (error) {
      this.#options.logger.warn('entitlement source unreachable: team context unavailable', {
        memberId: stytchMemberId,
        error: describeError(error),
      })
      return null
    }
  }

  /** One round trip with a cached user id (user + team by `_id`); by Stytch member id otherwise. */
  async #freshMember(stytchMemberId: string): Promise<MemberRecord | null> {
    const { userIds, source } = this.#options
    const userId = userIds.peek(stytchMemberId) ?? (await userIds.get(stytchMemberId))
    const lookup = userId ? { userId } : { stytchMemberId }
    const docs = await this.#call('findMember', callOf(source, source.findMember, lookup))
    if (!docs) {
      if (!userId) return null
      await userIds.delete(stytchMemberId)
      return this.#freshMember(stytchMemberId)
    }
    const record = memberRecord(docs.user, docs.team, source.schema, this.#report) ?? null
    if (record && record.userId !== userId)
      await userIds.set(stytchMemberId, record.userId, USER_ID_TTL_MS)
    return record
  }

  /**
   * A source call through the source's breaker, reported when telemetry is on. A call declared
   * without a parameter (the source's method declares no `signal`) is given no signal.
   */
  #call<R>(
    operation: string,
    call: ((signal: AbortSignal) => Promise<R>) | (() => Promise<R>)
  ): Promise<R> {
    const { breaker, telemetry } = this.#options
    const run = () => breaker.run(call)
    return telemetry ? telemetry.around('entitlements', operation, run) : run()
  }

  readonly #report = (problem: string): void => {
    this.#options.logger.error(`malformed entitlement document: ${problem}`)
  }
}

/**
 * A call of the source's `method` on `argument`, taking the breaker's signal only if the method
 * declares a `signal` parameter (none is made otherwise).
 */
function callOf<A, R>(
  source: EntitlementSource,
  method: (this: EntitlementSource, argument: A, signal?: AbortSignal) => Promise<R>,
  argument: A
): ((signal: AbortSignal) => Promise<R>) | (() => Promise<R>) {
  return method.length > 1
    ? (signal: AbortSignal) => method.call(source, argument, signal)
    : () => method.call(source, argument)
}

/** A principal that can carry entitlements. */
type Enrichable<P> = { withEntitlements(fields: EntitlementFields): P }

/** An organization, and the member whose team counts (none for an API key). */
interface Entitled {
  readonly organizationId: string
  readonly memberId?: string | undefined
}

/** The entitlement fields of an organization's record (`null`: unknown) and a member's. */
function fieldsOf(
  organization: OrganizationRecord | null,
  member: MemberRecord | null
): EntitlementFields {
  if (organization === null)
    return {
      ...NO_ENTITLEMENTS,
      entitlementsStatus: 'unknown_organization',
      mongoUserId: member?.userId ?? null,
    }
  const team = member?.team?.organizationId === organization.id ? member.team : null
  return {
    entitlementsStatus: 'loaded',
    entitlements: organization.entitlements,
    subscriptionTier: organization.subscriptionTier,
    subscriptionLimits: organization.subscriptionLimits,
    currentTeamId: team?.id ?? null,
    currentTeamName: team?.name ?? null,
    mongoUserId: member?.userId ?? null,
    mongoOrganizationId: organization.id,
  }
}
