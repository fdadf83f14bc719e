/**
 * @module
 * A private copy of a built package for the run: other work rebuilds `dist/` (tsdown empties it
 * first), which would break or change a server started mid-run. The copy's `node_modules` links to
 * the repository's (the very same `hono` and other dependencies), and a tsconfig maps `ayz-auth`
 * and `ayz-auth/*` to it: a child given that tsconfig (`TSX_TSCONFIG_PATH`) imports the package
 * as users do, from the copy.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { ROOT, runDir } from './processes.ts'

/** Entry points the harness imports. */
const ENTRIES = ['index.js', 'ioredis.js', 'upstash.js', 'mongodb.js', 'testing.js']
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*["'](\.\/[^"']+\.js)["']/g

/** Missing entries or chunks of a built folder (empty when complete). */
function missingFiles(dist: string): string[] {
  const missing = ENTRIES.filter((entry) => !existsSync(join(dist, entry)))
  for (const entry of ENTRIES.filter((name) => existsSync(join(dist, name)))) {
    for (const [, chunk = ''] of readFileSync(join(dist, entry), 'utf8').matchAll(RELATIVE_IMPORT))
      if (!existsSync(join(dist, chunk))) missing.push(`${chunk} (imported by ${entry})`)
  }
  return missing
}

/**
 * Copies the build in `dist` (waiting up to 30 s for a rebuild in progress to finish) under
 * `name` in the run's directory. Returns the tsconfig that points children at the copy, and what
 * the build is, for the report: `dist/ of <commit>` for the repository's (noting uncommitted
 * changes in `src/` or `adapters/`), else its path.
 */
export async function snapshotBuild(dist: string, name: string) {
  const dir = join(runDir(), name)
  for (let waited = 0; ; waited++) {
    const missing = existsSync(dist) ? missingFiles(dist) : [dist]
    if (missing.length === 0) cpSync(dist, join(dir, 'dist'), { recursive: true })
    if (missing.length === 0 && missingFiles(join(dir, 'dist')).length === 0) break
    if (waited >= 30)
      throw new Error(`${dist} is incomplete (build it first): ${missing.join(', ')}`)
    await new Promise((done) => setTimeout(done, 1000))
  }
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const tsconfig = join(dir, 'tsconfig.json')
  const paths = { 'ayz-auth': ['./dist/index.js'], 'ayz-auth/*': ['./dist/*.js'] }
  const include = [join(ROOT, 'bench'), join(ROOT, 'test')]
  const config = {
    extends: join(ROOT, 'tsconfig.json'),
    compilerOptions: { baseUrl: dir, paths },
    include,
  }
  writeFileSync(tsconfig, JSON.stringify(config))
  // Another build is named by its path from the checkout, so a report names no machine's folders.
  if (resolve(dist) !== join(ROOT, 'dist'))
    return { tsconfig, description: relative(ROOT, resolve(dist)) }
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const dirty = git('--no-optional-locks', 'status', '--porcelain', '--', 'src', 'adapters') !== ''
  const changes = dirty ? ' with uncommitted changes in src/ or adapters/' : ''
  return { tsconfig, description: `dist/ of ${git('rev-parse', '--short', 'HEAD')}${changes}` }
}
