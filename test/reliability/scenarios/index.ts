/**
 * Every fault-matrix row's scenario, by row id (the type makes a missing row a compile error).
 */
import type { FaultRowId } from '../fault-matrix.ts'
import { CACHE_SCENARIOS } from './cache.ts'
import { ENTITLEMENT_SCENARIOS } from './entitlements.ts'
import { JWKS_SCENARIOS } from './jwks.ts'
import { POLICY_SCENARIOS } from './policy.ts'
import type { Scenario } from './scenario.ts'
import { STYTCH_SCENARIOS } from './stytch.ts'

export { limitOf } from './scenario.ts'
export type { Arranged, Scenario } from './scenario.ts'

/** The scenario of each row. */
export const SCENARIOS: Readonly<Record<FaultRowId, Scenario>> = {
  ...STYTCH_SCENARIOS,
  ...JWKS_SCENARIOS,
  ...POLICY_SCENARIOS,
  ...CACHE_SCENARIOS,
  ...ENTITLEMENT_SCENARIOS,
}
