export { StytchEmulator, stytchEmulator } from './emulator/emulator.ts'
export type {
  CreateM2MClientOptions,
  CreateOrganizationOptions,
  CreateSessionOptions,
  EmulatedSession,
  EmulatorCalls,
  M2MClientCredentials,
  MintAccessTokenOptions,
  MintM2MTokenOptions,
  MintTokenOptions,
  SeedOptions,
  StytchEmulatorOptions,
} from './emulator/emulator.ts'
export { endpoints } from './emulator/faults.ts'
export type { Endpoint, Fault, FaultOptions, FaultRule } from './emulator/faults.ts'
export { defaultPolicy } from './emulator/rbac.ts'
export type { SigningKey } from './emulator/keys.ts'
export type { FactorType } from './emulator/wire.ts'
export { startStytchEmulator } from './start-stytch-emulator.ts'
export type { RunningStytchEmulator, StartStytchEmulatorOptions } from './start-stytch-emulator.ts'
export { createAuthContext, testVerifier } from './test-auth.ts'
export { memoryApiKeys, type MemoryApiKeyStore } from '../api-keys/memory-api-keys.ts'
