/**
 * Packaging: the npm tarball carries ESM and `.d.ts` for every export and nothing else; jsr.json
 * publishes the same entry points (from the TypeScript sources) at the same version; no published
 * entry point augments Hono's global types, except the opt-in `ayz-auth/global`, whose effect is
 * type-checked in a program of its own.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT } from './build-worker.ts'

const run = promisify(execFile)
const readJson = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(join(ROOT, file), 'utf8')) as T

interface PackageJson {
  readonly version: string
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>
}
interface JsrJson {
  readonly name: string
  readonly version: string
  readonly exports: Record<string, string>
  readonly publish: { readonly exclude: readonly string[] }
}

const AUGMENTATION = /declare\s+(global|module\s+['"]hono['"])/

describe('the npm package', () => {
  it('packs ESM and .d.ts for every export, and neither sources nor tests', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
    })
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }]
    const files = packed.files.map((file) => file.path)
    const { exports } = await readJson<PackageJson>('package.json')
    for (const target of Object.values(exports)) {
      if (typeof target === 'string') continue
      expect(files).toContain(target.types.replace(/^\.\//, ''))
      expect(files).toContain(target.default.replace(/^\.\//, ''))
    }
    expect(files.filter((file) => /^(src|test|adapters|examples)\//.test(file))).toEqual([])
    expect(files.filter((file) => file.endsWith('.js') && !file.startsWith('dist/'))).toEqual([])
  })

  it('augments no global types, except in the opt-in ayz-auth/global', async () => {
    const declarations = (await readdir(join(ROOT, 'dist'))).filter((file) =>
      file.endsWith('.d.ts')
    )
    const augmenting = []
    for (const file of declarations) {
      if (AUGMENTATION.test(await readFile(join(ROOT, 'dist', file), 'utf8'))) augmenting.push(file)
    }
    expect(augmenting).toEqual(['global.d.ts'])
  })
})

describe('jsr.json', () => {
  it('publishes @ayz/auth at the npm version, with the same entry points (but global)', async () => {
    const pkg = await readJson<PackageJson>('package.json')
    const jsr = await readJson<JsrJson>('jsr.json')
    expect(jsr.name).toBe('@ayz/auth')
    expect(jsr.version).toBe(pkg.version)
    const npmEntries = Object.keys(pkg.exports).filter(
      (key) => key !== './package.json' && key !== './global'
    )
    expect(Object.keys(jsr.exports).sort()).toEqual(npmEntries.sort())
    for (const source of Object.values(jsr.exports))
      expect(existsSync(join(ROOT, source))).toBe(true)
  })

  it('publishes no global augmentation', async () => {
    const jsr = await readJson<JsrJson>('jsr.json')
    expect(jsr.publish.exclude).toContain('src/global.ts')
    const sources = [
      ...(await readdir(join(ROOT, 'src'), { recursive: true })).map((file) => join('src', file)),
      ...(await readdir(join(ROOT, 'adapters'))).map((file) => join('adapters', file)),
    ]
    const augmenting = []
    for (const file of sources.filter((name) => name.endsWith('.ts'))) {
      if (AUGMENTATION.test(await readFile(join(ROOT, file), 'utf8'))) augmenting.push(file)
    }
    expect(augmenting).toEqual(['src/global.ts'])
  })
})

describe('typing c.var.auth (tsc on the built declarations)', () => {
  it.each(['with-global', 'without-global'])(
    'type-checks test/runtimes/types/%s',
    async (folder) => {
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
      const errors = await run(process.execPath, [tsc, '-p', join('test/runtimes/types', folder)], {
        cwd: ROOT,
      }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error)
      )
      expect(errors).toBe('')
    }
  )
})
