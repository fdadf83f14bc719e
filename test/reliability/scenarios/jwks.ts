/**
 * Fault-matrix rows of the JWKS: the key set unreachable or hung, keys rotated and unpublished,
 * and JWTs naming a key that was never published.
 */
import { vi, expect } from 'vitest'
import { REJECTION_TTL_MS } from '../../../src/runtime/runtime.ts'
import type { Fault } from '../../../src/testing/index.ts'
import { attackerKey, claimsOf, signJwt } from '../forge.ts'
import type { World } from '../world.ts'
import { NO_FAULT, rowApp, warm, type Arranged, type Scenario } from './scenario.ts'

/** The shortest time between two key-set fetches for an unknown `kid` (src/verify/session-jwt.ts). */
const JWKS_COOLDOWN_MS = 5_000

/** Asserts, after the row's requests, that none of them reached `/sessions/authenticate`. */
function noAuthenticateCalls(world: World): Pick<Arranged, 'checkDuring'> & { start(): void } {
  let before = 0
  return {
    start: () => {
      before = world.stytch.emulator.calls.authenticate
    },
    checkDuring: async () => {
      expect(world.stytch.emulator.calls.authenticate).toBe(before)
    },
  }
}

function keySetFault(label: string, fault: Fault): Scenario {
  return async (world, ledger) => {
    const { app } = rowApp(world, ledger, label)
    const [jwt, token] = await Promise.all([world.session(ledger), world.session(ledger)])
    let rule: { remove(): void } | undefined
    return {
      app,
      credentials: { 'session JWT': jwt.sessionJwt, 'session token': token.sessionToken },
      inject: async () => {
        rule = world.stytch.emulator.injectFault(fault, { endpoint: 'jwks' })
      },
      remove: async () => {
        rule?.remove()
        world.stytch.emulator.releaseHungRequests()
      },
    }
  }
}

/** A session whose JWT is signed by the current key, then a rotation, then a session of the new key. */
async function rotation(world: World, ledger: Parameters<Scenario>[1]) {
  const before = await world.session(ledger)
  await world.stytch.emulator.rotateKeys()
  const after = await world.session(ledger)
  return { previousKeyJwt: before.sessionJwt, newKeyJwt: after.sessionJwt }
}

/** Stytch rotated its key; with `dropPrevious`, it also stopped publishing the previous one. */
function rotatedKeys(label: string, dropPrevious: boolean): Scenario {
  return async (world, ledger) => {
    const { app } = rowApp(world, ledger, label)
    const { previousKeyJwt, newKeyJwt } = await rotation(world, ledger)
    if (dropPrevious) world.stytch.emulator.dropPreviousKey()
    const calls = noAuthenticateCalls(world)
    return {
      app,
      credentials: {
        'JWT signed by the new key': newKeyJwt,
        'JWT signed by the previous key': previousKeyJwt,
      },
      inject: async () => calls.start(),
      remove: async () => {},
      checkDuring: calls.checkDuring,
    }
  }
}

const rotated = rotatedKeys('jwks-rotated', false)
const previousKeyDropped = rotatedKeys('jwks-previous-key-dropped', true)

/**
 * The app fetched the key set (verifying a JWT) just before Stytch rotated its key. "Removing the
 * fault" is letting the 5 s cooldown pass, and the 10 s for which the rejection is remembered, by
 * moving the clock (`Date` only) forward.
 */
const rotatedRecentlyFetched: Scenario = async (world, ledger) => {
  const { app } = rowApp(world, ledger, 'jwks-rotated-recently-fetched')
  await warm(app, (await world.session(ledger)).sessionJwt)
  await world.stytch.emulator.rotateKeys()
  const fresh = await world.session(ledger)
  return {
    app,
    credentials: { 'JWT signed by the new key': fresh.sessionJwt },
    inject: async () => {},
    remove: async () => {
      vi.useFakeTimers({
        toFake: ['Date'],
        now: Date.now() + Math.max(JWKS_COOLDOWN_MS, REJECTION_TTL_MS) + 1000,
        shouldAdvanceTime: true,
      })
    },
    dispose: async () => {
      vi.useRealTimers()
    },
  }
}

const unknownKid: Scenario = async (world, ledger) => {
  const { app } = rowApp(world, ledger, 'jwks-unknown-kid')
  const victim = await world.session(ledger)
  await warm(app, victim.sessionJwt)
  const attacker = await attackerKey()
  const forged = await signJwt(
    claimsOf(victim.sessionJwt),
    { alg: 'RS256', typ: 'JWT', kid: 'jwk-test-00000000-0000-4000-8000-000000000000' },
    attacker.privateKey
  )
  const fresh = await world.session(ledger)
  const calls = noAuthenticateCalls(world)
  return {
    app,
    credentials: { 'JWT with an unknown kid': forged, 'session JWT': fresh.sessionJwt },
    ...NO_FAULT,
    inject: async () => calls.start(),
    checkDuring: calls.checkDuring,
  }
}

/** The JWKS rows, by row id. */
export const JWKS_SCENARIOS = {
  'jwks-unreachable': keySetFault('jwks-unreachable', { kind: 'status', status: 500 }),
  'jwks-hung': keySetFault('jwks-hung', { kind: 'hang' }),
  'jwks-rotated': rotated,
  'jwks-previous-key-dropped': previousKeyDropped,
  'jwks-rotated-recently-fetched': rotatedRecentlyFetched,
  'jwks-unknown-kid': unknownKid,
} satisfies Record<string, Scenario>
