/**
 * @module
 * What one project shares in one process (or isolate), whatever the settings of each
 * `stytchAuth()`: the in-process tiers, the revocation marks, the loads in flight, the limit of
 * calls to Stytch, one breaker per backend, and the revocation channels of its live runtimes. So a
 * guard and the middleware never disagree, a new token costs one Stytch call however many mounts
 * see it, and a revocation reaches every mount.
 */
import type { Filled } from '../cache/read-through.ts'
import type { CacheStore } from '../cache/cache-store.ts'
import { LocalTier } from '../cache/local-tier.ts'
import { RevocationMarks } from '../cache/revocation-marks.ts'
import type { Revocations } from '../cache/revocations.ts'
import type { Principal } from '../context/auth-env.ts'
import { VerificationLimiter } from '../verify/verification-limiter.ts'

/** Entries of each in-process tier, and of the rejected tokens (kept apart so a flood cannot evict sessions). */
const LOCAL_ENTRIES = 10_000

/**
 * One project's process-wide state.
 *
 * @example
 * ```ts
 * const project = projectNamed('project-test-…|ayz_auth')
 * project.principals.get(digest) // a principal any mount of the project verified
 * ```
 */
export class Project {
  /** Verified credentials by digest. */
  readonly principals = new LocalTier<Principal>(LOCAL_ENTRIES)
  /** Credentials recently rejected, refused without asking again. */
  readonly rejected = new LocalTier<true>(LOCAL_ENTRIES)
  readonly marks = new RevocationMarks()
  /** Verifications in flight, by digest: one per credential however many mounts ask. */
  readonly flights = new Map<string, Promise<Filled<Principal>>>()
  /** The revocation channels of the project's live runtimes (for `revokeSession(token)`). */
  readonly revocations = new Set<Revocations>()
  readonly #tiers = new Map<string, LocalTier<unknown>>()
  readonly #breakers = new Map<object, unknown>()
  #limiter: VerificationLimiter | undefined

  /** The in-process tier of a cached shape (`org`, `user`, `policy`, …). */
  tier<T>(shape: string): LocalTier<T> {
    let tier = this.#tiers.get(shape)
    if (!tier) this.#tiers.set(shape, (tier = new LocalTier<unknown>(LOCAL_ENTRIES)))
    return tier as LocalTier<T>
  }

  /** The limit of Stytch calls, at the lowest rate any mount asked for. */
  limiter(perSecond: number): VerificationLimiter {
    if (this.#limiter) this.#limiter.lowerTo(perSecond)
    else this.#limiter = new VerificationLimiter(perSecond)
    return this.#limiter
  }

  /** The one `T` (a breaker, a shared tier) of a backend, made by `make` the first time. */
  ownerOf<T>(backend: CacheStore | object, make: () => T): T {
    let owner = this.#breakers.get(backend) as T | undefined
    if (owner === undefined) this.#breakers.set(backend, (owner = make()))
    return owner
  }
}

const projects = new Map<string, Project>()
const verifierProjects = new WeakMap<object, Project>()

/**
 * The state of the project named `key` (its id and cache prefix), or of a custom verifier (whose
 * sessions are its own), made on first use.
 *
 * @example
 * ```ts
 * const project = projectOf(`${projectId}|${prefix}`)
 * ```
 */
export function projectOf(key: string | object): Project {
  if (typeof key === 'object') {
    let project = verifierProjects.get(key)
    if (!project) verifierProjects.set(key, (project = new Project()))
    return project
  }
  let project = projects.get(key)
  if (!project) projects.set(key, (project = new Project()))
  return project
}
