/**
 * @module
 * The RBAC policies of a project, kept fresh without making requests wait: the project policy and
 * each organization's custom roles, cached like sessions (in process and in the shared tier,
 * sealed, one load however many requests race), refreshed in the background as they near
 * `policyTtl`, and served stale while Stytch is unreachable, up to `policyMaxStale`.
 */
import * as v from 'valibot'
import type { ReadThroughCache } from '../cache/read-through.ts'
import { StytchApiError } from '../errors/auth-error.ts'
import { describeError } from '../log/describe-error.ts'
import type { Logger } from '../log/logger.ts'
import { callStytch, type CallPolicy } from '../verify/call-stytch.ts'
import type { StytchApi } from '../verify/stytch-api.ts'
import { Policy, PolicyWireSchema } from './policy.ts'

/** What a {@link PolicyStore} is built from. */
export interface PolicyStoreOptions {
  readonly api: StytchApi
  readonly call: CallPolicy
  /** Policies by id: `project`, or `org:{organization_id}`; entries live `maxStaleMs`. */
  readonly policies: ReadThroughCache<Policy>
  /** Age at which a policy is refreshed (a request seeing it older starts a refresh). */
  readonly ttlMs: number
  /** Age past which a policy is no longer served, even when Stytch cannot be reached. */
  readonly maxStaleMs: number
  readonly logger: Logger
}

/** Share of the TTL after which a request starts a background refresh. */
const REFRESH_AT = 0.9
/** Organizations whose policy key is remembered (cleared past it, to bound memory). */
const MAX_ORGANIZATION_KEYS = 10_000
/** Shortest wait before a failed refresh is tried again. */
const RETRY_AFTER_MS = 5_000

/**
 * The project policy and the organizations' custom roles, for local permission checks.
 *
 * @example
 * ```ts
 * const project = policies.peekProject() ?? (await policies.loadProject())
 * project.grants(auth.roles, permission('documents', 'read'))
 * ```
 */
export class PolicyStore {
  readonly #options: PolicyStoreOptions
  readonly #refreshing = new Map<string, Promise<void>>()
  readonly #retryAt = new Map<string, number>()
  readonly #failing = new Set<string>()
  readonly #organizationKeys = new Map<string, string>()
  /** Whether the stale policy of this outage was reported (once per outage, not per request). */
  #warnedStale = false

  constructor(options: PolicyStoreOptions) {
    this.#options = options
  }

  /** The project policy if it is in process memory (no waiting); starts a refresh when due. */
  peekProject(): Policy | undefined {
    return this.#peek('project')
  }

  /** An organization's custom roles if they are in process memory; starts a refresh when due. */
  peekOrganization(organizationId: string): Policy | undefined {
    return this.#peek(this.#organizationKey(organizationId))
  }

  /** The project policy, loaded if needed: 503 (`StytchApiError`) when Stytch cannot be asked and nothing is cached. */
  loadProject(): Promise<Policy> {
    return this.#load('project')
  }

  /** An organization's custom roles, loaded if needed (as {@link PolicyStore.loadProject}). */
  loadOrganization(organizationId: string): Promise<Policy> {
    return this.#load(this.#organizationKey(organizationId))
  }

  /**
   * `org:{organization_id}`, the same string each time for an organization: a `Map` lookup with a
   * string it has seen hashes nothing (a new one per request would be hashed every time).
   */
  #organizationKey(organizationId: string): string {
    let key = this.#organizationKeys.get(organizationId)
    if (key === undefined) {
      if (this.#organizationKeys.size >= MAX_ORGANIZATION_KEYS) this.#organizationKeys.clear()
      key = `org:${organizationId}`
      this.#organizationKeys.set(organizationId, key)
    }
    return key
  }

  #peek(id: string): Policy | undefined {
    const now = Date.now()
    const policy = this.#options.policies.peek(id, now)
    if (policy) this.#refreshIfDue(id, policy, now)
    return policy
  }

  async #load(id: string): Promise<Policy> {
    const { value: policy } = await this.#options.policies.getOrLoad(id, async () => ({
      value: await this.#fetch(id),
      ttlMs: this.#options.maxStaleMs,
    }))
    this.#refreshIfDue(id, policy)
    return policy
  }

  #refreshIfDue(id: string, policy: Policy, now = Date.now()): void {
    const { ttlMs, policies, maxStaleMs, logger } = this.#options
    const age = now - policy.fetchedAt
    if (age < ttlMs * REFRESH_AT) return
    if (age >= ttlMs && this.#failing.has(id) && !this.#warnedStale) {
      this.#warnedStale = true
      logger.warn(
        `serving a stale RBAC policy (${id}, ${Math.round(age / 1000)} s old) while Stytch is unreachable, for up to ${maxStaleMs / 1000} s`
      )
    }
    if (this.#refreshing.has(id) || now < (this.#retryAt.get(id) ?? 0)) return
    const refresh = this.#fetch(id)
      .then(async (fresh) => {
        this.#failing.delete(id)
        if (this.#failing.size === 0) this.#warnedStale = false
        await policies.set(id, fresh, maxStaleMs)
      })
      .catch(() => {
        this.#failing.add(id)
        this.#retryAt.set(id, Date.now() + RETRY_AFTER_MS)
      })
      .finally(() => this.#refreshing.delete(id))
    this.#refreshing.set(id, refresh)
  }

  #fetch(id: string): Promise<Policy> {
    const telemetry = this.#options.call.telemetry
    return telemetry
      ? telemetry.around('policy', id === 'project' ? 'project' : 'organization', () =>
          this.#fetchFromStytch(id)
        )
      : this.#fetchFromStytch(id)
  }

  async #fetchFromStytch(id: string): Promise<Policy> {
    const { api, call, logger } = this.#options
    let response: unknown
    try {
      response = await callStytch(
        id === 'project' ? 'rbac.policy' : 'rbac.organizations.getOrgPolicy',
        (signal) =>
          id === 'project'
            ? api.projectPolicy(signal)
            : api.organizationPolicy(id.slice(4), signal),
        call
      )
    } catch (error) {
      logger.warn('Stytch unavailable: the RBAC policy could not be read', {
        policy: id,
        error: describeError(error),
      })
      throw new StytchApiError()
    }
    const body = response as { policy?: unknown; org_policy?: unknown } | null
    const parsed = v.safeParse(PolicyWireSchema, id === 'project' ? body?.policy : body?.org_policy)
    if (!parsed.success) {
      logger.error(`Stytch answered the RBAC policy (${id}) with an unexpected body shape`)
      throw new StytchApiError()
    }
    return new Policy({ fetchedAt: Date.now(), ...parsed.output })
  }
}
