/**
 * @module
 * A private copy of the built package for the run. Other work in the repository rebuilds `dist/`
 * (`npm test` builds first, and tsdown empties the folder), which would break or change a server
 * started in the middle of a 10-minute run. The run copies `dist/` once, checks the copy is
 * complete, and points every child at it: `tsx` maps `ayz-auth` and `ayz-auth/*` to the copy
 * (tsconfig `paths`), and the copy's `node_modules` links to the repository's, so `hono` and the
 * other dependencies are the very same modules.
 */
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runDir } from './children.ts'

/** Entry points the harness imports. */
const ENTRIES = ['index.js', 'ioredis.js', 'upstash.js', 'mongodb.js', 'testing.js']
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*["'](\.\/[^"']+\.js)["']/g

/** Missing entries or chunks of a built `dist/` folder (empty when complete). */
function missingFiles(dist: string): string[] {
  if (!existsSync(dist)) return ['dist/']
  const missing = ENTRIES.filter((entry) => !existsSync(join(dist, entry)))
  for (const file of readdirSync(dist).filter((name) => name.endsWith('.js'))) {
    for (const [, target] of readFileSync(join(dist, file), 'utf8').matchAll(RELATIVE_IMPORT)) {
      if (target && !existsSync(join(dist, target))) missing.push(`${target} (imported by ${file})`)
    }
  }
  return missing
}

/**
 * Copies the built package into the run's temporary directory (waiting up to `timeoutMs` for a
 * rebuild in progress to finish) and returns the tsconfig to give children as `TSX_TSCONFIG_PATH`.
 *
 * @example
 * ```ts
 * setChildEnvironment({ TSX_TSCONFIG_PATH: await snapshotBuild() })
 * ```
 */
export async function snapshotBuild(timeoutMs = 30_000): Promise<string> {
  const dir = join(runDir(), 'package')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let missing = missingFiles(join(ROOT, 'dist'))
    if (missing.length === 0) {
      try {
        cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true, force: true })
        missing = missingFiles(join(dir, 'dist'))
      } catch (error) {
        missing = [String(error)]
      }
      if (missing.length === 0) break
    }
    if (Date.now() > deadline)
      throw new Error(`dist/ is incomplete (run npm run build): ${missing.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const tsconfig = join(dir, 'tsconfig.json')
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: {
          baseUrl: dir,
          paths: { 'ayz-auth': ['./dist/index.js'], 'ayz-auth/*': ['./dist/*.js'] },
        },
        include: [join(ROOT, 'bench'), join(ROOT, 'test')],
      },
      null,
      2
    )
  )
  return tsconfig
}
