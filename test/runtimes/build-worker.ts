/**
 * Builds a Worker as `wrangler deploy` would upload it (`wrangler deploy --dry-run --outdir`),
 * with the root `wrangler.toml`: its bundler, its compatibility settings, its `[vars]`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { unstable_readConfig } from 'wrangler'
import { isolatedEnv } from './spawn-server.ts'

/** The root of the repository. */
export const ROOT = new URL('../../', import.meta.url).pathname

/** A built Worker: the module wrangler would upload and the settings it would deploy with. */
export interface BuiltWorker {
  /** The directory holding the module (and its source map). */
  readonly dir: string
  /** The module's file name in `dir`, named after the entry (`index.js` for the example). */
  readonly file: string
  readonly code: string
  /** Files that went into the bundle, from its source map (relative to `dir`). */
  readonly sources: readonly string[]
  readonly compatibilityDate: string
  readonly compatibilityFlags: readonly string[]
  /** `[vars]` of wrangler.toml, as text bindings. */
  readonly vars: Readonly<Record<string, string>>
  /** Bytes of the module, raw and gzip-compressed. */
  readonly size: { readonly raw: number; readonly gzip: number }
  remove(): Promise<void>
}

/**
 * Bundles `entry` (default: wrangler.toml's `main`, the Workers example) with wrangler.
 *
 * @example
 * ```ts
 * const worker = await buildWorker()
 * worker.sources.some((file) => file.includes('ioredis')) // false
 * ```
 */
export async function buildWorker(entry?: string): Promise<BuiltWorker> {
  const dir = await mkdtemp(join(tmpdir(), 'ayz-auth-worker-'))
  const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') })
  const args = ['deploy', ...(entry ? [entry] : []), '--dry-run', '--outdir', dir]
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [...args, '--config', 'wrangler.toml'],
    {
      cwd: ROOT,
      env: isolatedEnv({ WRANGLER_SEND_METRICS: 'false' }),
    }
  ).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  const file = (await readdir(dir)).find((name) => name.endsWith('.js'))
  if (!file) throw new Error(`wrangler wrote no module to ${dir}`)
  const code = await readFile(join(dir, file), 'utf8')
  const map = JSON.parse(await readFile(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }
  return {
    dir,
    file,
    code,
    sources: map.sources,
    compatibilityDate: config.compatibility_date ?? '',
    compatibilityFlags: config.compatibility_flags,
    vars: Object.fromEntries(
      Object.entries(config.vars).map(([name, value]) => [name, String(value)])
    ),
    size: { raw: Buffer.byteLength(code), gzip: gzipSync(code).byteLength },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
