import { CircuitBreaker } from '../cache/circuit-breaker.ts'
import type { TieredCache } from '../cache/tiered-cache.ts'
import {
  NO_ENTITLEMENTS,
  type AuthContext,
  type EntitlementFields,
} from '../context/auth-context.ts'
import type { Logger } from '../log/logger.ts'
import {
  memberRecord,
  organizationRecord,
  type MemberRecord,
  type OrganizationRecord,
} from './documents.ts'
import type { EntitlementSource } from './entitlement-source.ts'

/** How long an organization's subscription is cached (as the original: 1 hour). */
export const ORGANIZATION_TTL_MS = 3_600_000
/** How long a member's user id is cached (as the original since 2.0.1: 1 hour). */
export const USER_ID_TTL_MS = 3_600_000
/** How long "no such organization" is cached, so a new organization shows up soon. */
const MISSING_ORGANIZATION_TTL_MS = 60_000
/** Longest any source call may take (adapters have shorter timeouts of their own). */
const SOURCE_TIMEOUT_MS = 5_000

/** What an {@link EntitlementLoader} is built from. */
export interface EntitlementLoaderOptions {
  readonly source: EntitlementSource
  readonly organizations: TieredCache<OrganizationRecord | null>
  readonly userIds: TieredCache<string>
  /** Caches user + team when a team TTL is set; without it the team is read fresh every request. */
  readonly members?: { readonly cache: TieredCache<MemberRecord | null>; readonly ttlMs: number }
  readonly prefix: string
  readonly logger: Logger
}

const UNAVAILABLE = Symbol('unavailable')

/**
 * Loads the entitlement fields of a session: the organization's subscription (cached 1 h) and, in
 * parallel, the member's user id (cached 1 h) and current team (fresh on every request unless a
 * team TTL is set). The team counts only if it belongs to the member's organization. A source
 * outage never fails authentication: the fields read as unavailable and entitlement guards answer
 * 503. A circuit breaker stops asking a failed source for 2 s, so an outage costs one query timeout
 * now and then, not one on every request.
 *
 * @example
 * ```ts
 * const fields = await loader.entitlementsOf(auth)
 * const enriched = auth.withEntitlements(fields)
 * ```
 */
export class EntitlementLoader {
  readonly #options: EntitlementLoaderOptions
  readonly #source: EntitlementSource

  constructor(options: EntitlementLoaderOptions) {
    this.#options = options
    const breaker = new CircuitBreaker({ timeoutMs: SOURCE_TIMEOUT_MS })
    const { source } = options
    this.#source = {
      schema: source.schema,
      findOrganization: (id) => breaker.run(() => source.findOrganization(id)),
      findMember: (lookup) => breaker.run(() => source.findMember(lookup)),
    }
  }

  async entitlementsOf(auth: AuthContext): Promise<EntitlementFields> {
    const [organization, member] = await Promise.all([
      this.#organization(auth.organizationId),
      this.#member(auth.memberId),
    ])
    if (organization === UNAVAILABLE)
      return { ...NO_ENTITLEMENTS, entitlementsStatus: 'unavailable' }
    if (organization === null) {
      return {
        ...NO_ENTITLEMENTS,
        entitlementsStatus: 'unknown_organization',
        mongoUserId: member?.userId ?? null,
      }
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

  async #organization(
    stytchOrganizationId: string
  ): Promise<OrganizationRecord | null | typeof UNAVAILABLE> {
    const { organizations, prefix } = this.#options
    const source = this.#source
    try {
      return await organizations.getOrLoad(`${prefix}:org:${stytchOrganizationId}`, async () => {
        const doc = await source.findOrganization(stytchOrganizationId)
        const record = doc ? (organizationRecord(doc, source.schema, this.#report) ?? null) : null
        return { value: record, ttlMs: record ? ORGANIZATION_TTL_MS : MISSING_ORGANIZATION_TTL_MS }
      })
    } catch (error) {
      this.#options.logger.warn('entitlement source unreachable and organization not cached', {
        organizationId: stytchOrganizationId,
        error: describe(error),
      })
      return UNAVAILABLE
    }
  }

  async #member(stytchMemberId: string): Promise<MemberRecord | null> {
    const { members } = this.#options
    try {
      if (!members) return await this.#freshMember(stytchMemberId)
      return await members.cache.getOrLoad(
        `${this.#options.prefix}:member:${stytchMemberId}`,
        async () => ({
          value: await this.#freshMember(stytchMemberId),
          ttlMs: members.ttlMs,
        })
      )
    } catch (error) {
      this.#options.logger.warn('entitlement source unreachable: team context unavailable', {
        memberId: stytchMemberId,
        error: describe(error),
      })
      return null
    }
  }

  /** One round trip with a cached user id (user + team by `_id`); by Stytch member id otherwise. */
  async #freshMember(stytchMemberId: string): Promise<MemberRecord | null> {
    const { userIds, prefix } = this.#options
    const source = this.#source
    const key = `${prefix}:user:${stytchMemberId}`
    const userId = await userIds.get(key)
    const docs = await source.findMember(userId ? { userId } : { stytchMemberId })
    if (!docs) {
      if (!userId) return null
      await userIds.delete(key)
      return this.#freshMember(stytchMemberId)
    }
    const record = memberRecord(docs.user, docs.team, source.schema, this.#report) ?? null
    if (record && record.userId !== userId) await userIds.set(key, record.userId, USER_ID_TTL_MS)
    return record
  }

  readonly #report = (problem: string): void => {
    this.#options.logger.error(`malformed entitlement document: ${problem}`)
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
