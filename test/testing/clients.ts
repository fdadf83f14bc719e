import { B2BClient } from 'stytch'
import type { RunningStytchEmulator } from '../../src/testing/index.ts'

/** A fresh client, so that jose's JWKS cache and the SDK's policy cache start empty. */
export function freshClient(running: RunningStytchEmulator, secret = running.secret): B2BClient {
  const warn = console.warn
  console.warn = () => {}
  try {
    return new B2BClient({ project_id: running.projectId, secret, env: `${running.url}/` })
  } finally {
    console.warn = warn
  }
}

/** Basic credentials for the admin API and the Stytch API. */
export function basic(running: RunningStytchEmulator): { authorization: string } {
  return { authorization: `Basic ${btoa(`${running.projectId}:${running.secret}`)}` }
}
