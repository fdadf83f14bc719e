/**
 * `npm run build` is quiet when all is well: no deprecation notice of the bundler's CLI, no plugin
 * timing report, nothing a user could mistake for a problem. Builds into a temporary folder (the
 * build's optional argument), so `dist/`, which the other tests import, stays as it is.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isolatedEnv } from '../runtimes/spawn-server.ts'
import { ROOT } from './run-example.ts'

let outDir = ''
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'ayz-auth-build-'))
})
afterAll(() => rm(outDir, { recursive: true, force: true }))

describe('npm run build', () => {
  it('prints nothing but what npm itself echoes, and builds every entry', async () => {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', 'build', '--', outDir], {
      cwd: ROOT,
      env: isolatedEnv({ npm_config_update_notifier: 'false' }),
    })
    // npm echoes the script's name and command; everything after them is the build's own output.
    const own = stdout.split('\n').filter((line) => line !== '' && !line.startsWith('> '))
    expect({ stdout: own, stderr }).toEqual({ stdout: [], stderr: '' })
    for (const entry of [
      'index',
      'testing',
      'global',
      'ioredis',
      'upstash',
      'mongodb',
      'data-api',
    ]) {
      expect({ entry, built: existsSync(join(outDir, `${entry}.js`)) }).toEqual({
        entry,
        built: true,
      })
      expect(existsSync(join(outDir, `${entry}.d.ts`))).toBe(true)
    }
  })
})
