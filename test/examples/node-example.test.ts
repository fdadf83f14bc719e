import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** Runs `npm start`'s script with no Stytch settings, as on a fresh machine. */
let server: ChildProcess
let output = ''
beforeAll(async () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('STYTCH_') &&
        !name.startsWith('UPSTASH_') &&
        !name.includes('MONGODB') &&
        name !== 'REDIS_URL'
    )
  )
  server = spawn(process.execPath, ['--import', 'tsx', 'examples/node/server.ts'], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('his session is revoked')) resolve()
    })
    server.once('exit', (code) => reject(new Error(`example exited with ${code}:\n${output}`)))
  })
})
afterAll(() => {
  server?.kill()
})

describe('npm start with nothing configured', () => {
  it('says loudly that it uses the emulator', () => {
    expect(output).toMatch(
      /DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this app uses the LOCAL STYTCH EMULATOR/
    )
  })

  it('prints curl commands that work as printed, in order', () => {
    const commands = output.split('\n').filter((line) => line.startsWith('curl '))
    expect(commands.length).toBeGreaterThanOrEqual(10)
    for (const line of commands) {
      const expected = /# (\d{3})/.exec(line)?.[1]
      const response = execFileSync('sh', ['-c', line], { encoding: 'utf8' })
      const status = /^HTTP\/[\d.]+ (\d{3})/.exec(response)?.[1]
      expect({ line, status }).toEqual({ line, status: expected })
    }
  })
})
