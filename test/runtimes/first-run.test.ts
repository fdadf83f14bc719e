/**
 * The first run, as the README tells it: every command of its "Quick start" section and of the
 * "Cloudflare Workers", "Bun" and "Deno" sections is run here, from the repository's root, with
 * nothing configured. Each example must start against the dev emulator (announced loudly), and
 * every command its banner prints must answer as its comment says, entitlement routes included;
 * its output must hold no stack trace and no warning the user did not cause.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleEnv, noise, ROOT, runPrintedCurls, startExample } from './run-example.ts'

/** The README sections whose commands a newcomer runs first. */
const SECTIONS = ['## Quick start', '### Cloudflare Workers', '### Bun', '### Deno']
/** Commands that are not an example: `.ci/run` runs them (npm ci installs as npm install does). */
const RUN_BY_CI: Record<string, RegExp> = {
  'npm install': /^npm ci$/m,
  'npm test': /^npm test$/m,
}

/** The `sh` code blocks' commands of `section` (comments after `#` dropped). */
function commandsOf(readme: string, section: string): string[] {
  const start = readme.indexOf(`\n${section}`)
  if (start < 0) throw new Error(`README has no section "${section}"`)
  const level = section.split(' ')[0] ?? '##'
  const rest = readme.slice(start + section.length + 1)
  const end = rest.search(new RegExp(`\\n#{2,${level.length}} `))
  const body = end < 0 ? rest : rest.slice(0, end)
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block = '']) =>
    block
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
  )
}

let readme = ''
let ciScript = ''
let configHome = ''
beforeAll(async () => {
  readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  ciScript = await readFile(join(ROOT, '.ci/run'), 'utf8')
  configHome = await mkdtemp(join(tmpdir(), 'ayz-auth-first-run-'))
})
afterAll(() => rm(configHome, { recursive: true, force: true }))

const commands = () => SECTIONS.flatMap((section) => commandsOf(readme, section))

describe("the README's first-run commands", () => {
  it('are the ones this file runs: npm install/test by .ci/run, every other one below', () => {
    const found = commands()
    expect(found).toEqual(expect.arrayContaining(Object.keys(RUN_BY_CI)))
    expect(found.filter((command) => !(command in RUN_BY_CI)).sort()).toEqual(
      [...STARTS.keys()].sort()
    )
    for (const [command, pattern] of Object.entries(RUN_BY_CI)) {
      expect({ command, runByCi: pattern.test(ciScript) }).toEqual({ command, runByCi: true })
    }
  })
})

/** Each example's start command, and whether it serves the demo page at `/`. */
const STARTS = new Map([
  ['npm start', { page: true }],
  ['npm run start:bun', { page: true }],
  ['npm run start:deno', { page: true }],
  ['npm run dev:workers', { page: false }],
])

describe.each([...STARTS])('`%s` with nothing configured', (command, { page }) => {
  it('starts against the dev emulator, and every printed command answers as it says', async () => {
    expect(commands()).toContain(command)
    const server = await startExample(command, exampleEnv(configHome), { demo: true })
    try {
      const output = server.output()
      expect(output).toMatch(
        /DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this app uses the LOCAL STYTCH EMULATOR/
      )
      const runs = await runPrintedCurls(output)
      expect(runs.length).toBeGreaterThanOrEqual(14)
      // The entitlement routes answer from the demo's plans: one allowed and one forbidden each.
      expect(runs.map((run) => run.line).join('\n')).toMatch(/foresight {2}# 200[\s\S]*# 403/)
      for (const run of runs) expect(run).toEqual({ ...run, status: run.expected })

      const home = await fetch(`${server.url}/`)
      expect(home.headers.get('content-type') ?? '').toMatch(page ? /text\/html/ : /json/)
      await home.body?.cancel()

      expect(noise(server.output())).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
