import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const testing = join(root, 'src/testing/index.ts')

/** Runs in Bun or Deno: serve the emulator there and drive it with the real SDK. */
const script = `
import { startStytchEmulator } from ${JSON.stringify(testing)}
const running = await startStytchEmulator()
const { sessionToken, sessionJwt, session } = await running.emulator.seed()
const client = running.client()
const failed = (promise) => promise.then(() => 'answered', (error) => error.constructor.name)
const id = session.member_session_id
const result = {
  token: (await client.sessions.authenticate({ session_token: sessionToken })).member_session,
  local: await client.sessions.authenticateJwtLocal({ session_jwt: sessionJwt }),
}
result.token = result.token.member_session_id === id
result.local = result.local.member_session_id === id
const machine = running.emulator.createM2MClient({ scopes: ['read:reports'] })
const { access_token } = await client.m2m.token({ client_id: machine.clientId, client_secret: machine.clientSecret })
result.m2m = (await client.m2m.authenticateToken({ access_token })).client_id === machine.clientId
const authorization_check = { organization_id: session.organization_id, resource_id: 'documents', action: 'read' }
result.rbac = (await client.sessions.authenticate({ session_token: sessionToken, authorization_check })).verdict.authorized
running.emulator.injectFault({ kind: 'status', status: 429 }, { times: 1 })
result.status = await failed(client.sessions.authenticate({ session_token: sessionToken }))
running.emulator.injectFault({ kind: 'reset' }, { times: 1 })
result.reset = await failed(client.sessions.authenticate({ session_token: sessionToken }))
await running.pause()
result.paused = await failed(client.sessions.authenticate({ session_token: sessionToken }))
await running.resume()
result.resumed = await failed(client.sessions.authenticate({ session_token: sessionToken }))
await running.close()
console.log(JSON.stringify(result))
`

const runtimes = {
  bun: ['run'],
  deno: ['run', '--allow-all', '--node-modules-dir=manual'],
}

describe.each(Object.entries(runtimes))('startStytchEmulator on %s', (runtime, args) => {
  const binary = join(root, 'node_modules/.bin', runtime)
  let directory: string
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'stytch-emulator-'))
    await writeFile(join(directory, 'check.mts'), script)
  })
  afterAll(() => rm(directory, { recursive: true, force: true }))

  it.skipIf(!existsSync(binary))('serves the real SDK', async () => {
    const { stdout } = await promisify(execFile)(binary, [...args, join(directory, 'check.mts')], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    })
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      token: true,
      local: true,
      m2m: true,
      rbac: true,
      status: 'StytchError',
      reset: 'RequestError',
      paused: 'RequestError',
      resumed: 'answered',
    })
  })
})
