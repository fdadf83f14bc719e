/**
 * Fault-matrix rows of the Stytch API: the emulator stopped, or answering `/sessions/authenticate`
 * with an injected fault.
 */
import { expect } from 'vitest'
import type { Fault } from '../../../src/testing/index.ts'
import type { HandlerLedger } from '../ledger.ts'
import type { World } from '../world.ts'
import { NO_FAULT, rowApp, warm, type Arranged, type Scenario } from './scenario.ts'

/** A row whose fault is `fault` on `/sessions/authenticate`, probed with a fresh session token. */
function authenticateFault(
  label: string,
  fault: Fault,
  checks: Partial<Pick<Arranged, 'checkDuring'>> & { logs?: RegExp } = {}
): Scenario {
  return async (world, ledger) => {
    const { app, logger } = rowApp(world, ledger, label)
    const session = await world.session(ledger)
    let rule: { remove(): void } | undefined
    return {
      app,
      credentials: { 'session token': session.sessionToken },
      inject: async () => {
        rule = world.stytch.emulator.injectFault(fault, { endpoint: 'authenticate' })
      },
      remove: async () => rule?.remove(),
      checkDuring: async () => {
        if (checks.logs) expect(logger.lines.join('\n')).toMatch(checks.logs)
        await checks.checkDuring?.()
      },
    }
  }
}

/** Stytch stopped listening (connection refused), then listening again. */
function stopped(world: World): Pick<Arranged, 'inject' | 'remove'> {
  return { inject: () => world.stytch.pause(), remove: () => world.stytch.resume() }
}

const stytchDown: Scenario = async (world, ledger) => {
  const { app } = rowApp(world, ledger, 'stytch-down')
  const session = await world.session(ledger)
  return { app, credentials: { 'session token': session.sessionToken }, ...stopped(world) }
}

const stytchDownWithJwt: Scenario = async (world, ledger) => {
  const { app } = rowApp(world, ledger, 'stytch-down-jwt')
  await warm(app, (await world.session(ledger)).sessionJwt)
  const [cachedKeys, token, jwt] = await Promise.all([
    world.session(ledger),
    world.session(ledger),
    world.session(ledger),
  ])
  return {
    app,
    credentials: {
      'session JWT, key set cached': cachedKeys.sessionJwt,
      'session token': token.sessionToken,
      'session JWT': jwt.sessionJwt,
    },
    ...stopped(world),
  }
}

const credentialsRefused: Scenario = async (world, ledger) => {
  const arranged = await authenticateFault(
    'stytch-credentials',
    { kind: 'status', status: 401, errorType: 'unauthorized_credentials' },
    {
      logs: /^error .*unauthorized_credentials.*STYTCH_PROJECT_ID and STYTCH_SECRET/m,
    }
  )(world, ledger)
  let callsBefore = 0
  return {
    ...arranged,
    inject: async () => {
      callsBefore = world.stytch.emulator.calls.authenticate
      await arranged.inject()
    },
    checkDuring: async () => {
      await arranged.checkDuring?.()
      // A misconfiguration is not retried: one call, however many retries are allowed.
      expect(world.stytch.emulator.calls.authenticate - callsBefore).toBe(1)
    },
  }
}

const revokedSession: Scenario = async (world, ledger) => {
  const { app } = rowApp(world, ledger, 'stytch-revoked')
  const revoked = await world.session(ledger)
  world.stytch.emulator.revokeSession(revoked.session.member_session_id)
  const live = await world.session(ledger)
  return {
    app,
    credentials: {
      'revoked session token': revoked.sessionToken,
      'session token': live.sessionToken,
    },
    ...NO_FAULT,
    checkDuring: async () => {
      const calls = world.stytch.emulator.calls.authenticate
      for (let i = 0; i < 5; i++) {
        const res = await app.request('/api/me', {
          headers: { authorization: `Bearer ${revoked.sessionToken}` },
        })
        expect(res.status).toBe(401)
      }
      expect(world.stytch.emulator.calls.authenticate).toBe(calls)
    },
  }
}

/** The Stytch API rows, by row id. */
export const STYTCH_SCENARIOS = {
  'stytch-down': stytchDown,
  'stytch-down-jwt': stytchDownWithJwt,
  'stytch-reset': authenticateFault('stytch-reset', { kind: 'reset' }),
  'stytch-hung': authenticateFault('stytch-hung', { kind: 'hang' }),
  'stytch-slow': authenticateFault('stytch-slow', { kind: 'latency', ms: 300 }),
  'stytch-too-slow': authenticateFault('stytch-too-slow', { kind: 'latency', ms: 5000 }),
  'stytch-429-retry-after': authenticateFault('stytch-429-retry-after', {
    kind: 'status',
    status: 429,
    retryAfter: 30,
  }),
  'stytch-429': authenticateFault('stytch-429', { kind: 'status', status: 429 }),
  'stytch-500': authenticateFault('stytch-500', { kind: 'status', status: 500 }),
  'stytch-non-json': authenticateFault('stytch-non-json', { kind: 'non-json' }),
  'stytch-truncated-json': authenticateFault('stytch-truncated-json', { kind: 'truncated-json' }),
  'stytch-wrong-shape': authenticateFault(
    'stytch-wrong-shape',
    { kind: 'wrong-shape' },
    { logs: /^error .*unexpected body shape/m }
  ),
  'stytch-credentials': credentialsRefused,
  'stytch-revoked': revokedSession,
} satisfies Record<string, (world: World, ledger: HandlerLedger) => Promise<Arranged>>
