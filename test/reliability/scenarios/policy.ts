/**
 * Fault-matrix rows of the RBAC policy endpoints (`GET /v1/b2b/rbac/policy` and
 * `/organizations/{id}`): unreachable, failing, hung or misshapen, with or without a policy cached.
 */
import { expect } from 'vitest'
import type { Fault } from '../../../src/testing/index.ts'
import { limitOf, rowApp, sleep, warm, type Scenario } from './scenario.ts'

/** The 5 s a failed policy load is answered from memory, plus time to serve again. */
const POLICY_RECOVERY_MS = 7_000

/** Both policy endpoints answer with `fault` (a rule each, until removed). */
function onPolicyEndpoints(world: Parameters<Scenario>[0], fault: Fault) {
  const rules: { remove(): void }[] = []
  return {
    inject: async () => {
      rules.push(world.stytch.emulator.injectFault(fault, { endpoint: 'policy' }))
      rules.push(world.stytch.emulator.injectFault(fault, { endpoint: 'orgPolicy' }))
    },
    remove: async () => {
      rules.splice(0).forEach((rule) => rule.remove())
      world.stytch.emulator.releaseHungRequests()
    },
  }
}

/** A row with no policy cached: the permission guard cannot decide while `fault` lasts. */
function coldPolicyFault(label: string, fault: Fault, logs?: RegExp): Scenario {
  return async (world, ledger) => {
    const { app, logger } = rowApp(world, ledger, label)
    const [guarded, plain] = await Promise.all([world.session(ledger), world.session(ledger)])
    await warm(app, guarded.sessionToken) // the session cached, the policy not
    return {
      app,
      credentials: {
        'permission guard': guarded.sessionToken,
        'session token': plain.sessionToken,
      },
      ...onPolicyEndpoints(world, fault),
      checkDuring: async () => {
        if (logs) expect(logger.lines.join('\n')).toMatch(logs)
      },
      recoveryMs: POLICY_RECOVERY_MS,
    }
  }
}

/** The policy was loaded, then Stytch became unreachable and the policy went past its TTL. */
const policyStale: Scenario = async (world, ledger) => {
  const POLICY_TTL_SECONDS = 0.2
  const { app, logger } = rowApp(world, ledger, 'policy-stale', { policyTtl: POLICY_TTL_SECONDS })
  const { sessionToken } = await world.session(ledger)
  await warm(app, sessionToken, '/api/permitted')
  const fault = onPolicyEndpoints(world, { kind: 'reset' })
  return {
    app,
    credentials: { 'permission guard, policy cached': sessionToken },
    inject: async () => {
      await fault.inject()
      await sleep(POLICY_TTL_SECONDS * 1000 * 2)
      await warm(app, sessionToken, '/api/permitted') // starts a refresh, which fails
      await sleep(limitOf('stytch')) // the refresh's retries and timeout
    },
    remove: fault.remove,
    checkDuring: async () => {
      const stale = logger.lines.filter((line) => line.includes('serving a stale RBAC policy'))
      expect(stale).toHaveLength(1)
    },
  }
}

/** The RBAC policy rows, by row id. */
export const POLICY_SCENARIOS = {
  'policy-unreachable': coldPolicyFault('policy-unreachable', { kind: 'reset' }),
  'policy-500': coldPolicyFault('policy-500', { kind: 'status', status: 500 }),
  'policy-hung': coldPolicyFault('policy-hung', { kind: 'hang' }),
  'policy-wrong-shape': coldPolicyFault(
    'policy-wrong-shape',
    { kind: 'wrong-shape' },
    /ERROR|error .*unexpected body shape/
  ),
  'policy-stale': policyStale,
} satisfies Record<string, Scenario>
