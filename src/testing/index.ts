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
export { Auth0Emulator, auth0Emulator } from './auth0/emulator.ts'
export type {
  Auth0ClientCredentials,
  Auth0EmulatorCalls,
  Auth0EmulatorOptions,
  Auth0Organization,
  Auth0UserProfile,
  MintAuth0MachineTokenOptions,
  MintAuth0TokenOptions,
  MintAuth0UserTokenOptions,
  RegisterAuth0ClientOptions,
} from './auth0/emulator.ts'
export { auth0Endpoints } from './auth0/faults.ts'
export type {
  Auth0Endpoint,
  Auth0Fault,
  Auth0FaultOptions,
  Auth0FaultRule,
} from './auth0/faults.ts'
export type { Auth0KeyChoice, Auth0SigningKey } from './auth0/signing-keys.ts'
export { startAuth0Emulator } from './auth0/start-auth0-emulator.ts'
export type {
  RunningAuth0Emulator,
  StartAuth0EmulatorOptions,
} from './auth0/start-auth0-emulator.ts'
export { memoryApiKeys, type MemoryApiKeyStore } from '../api-keys/memory-api-keys.ts'
