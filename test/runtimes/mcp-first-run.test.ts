/**
 * The MCP example's first run, as the README's "MCP servers" section tells it: each of its commands
 * is run here, from the repository's root, with nothing configured. Each must start against the
 * dev emulator (announced loudly), every line its banner prints must work as printed in one shell
 * (the `export` lines, then each curl answering the status its comment says), the printed token must
 * let the official MCP client call `whoami` as the printed member, and the output must hold no
 * stack trace or warning the user did not cause. Each fails in one clear message, without a
 * banner: under NODE_ENV=production (no emulator there), with a configuration error, on a taken port.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnServer } from '../runtimes/spawn-server.ts'
import { exampleEnv, noise, ROOT, runToExit } from './run-example.ts'

/** The commands of the README's "MCP servers" section. */
const COMMANDS = ['npm run start:mcp', 'npm run dev:mcp:workers']

/** The `sh` code blocks' commands of the README section `## MCP servers` (comments dropped). */
function mcpSectionCommands(readme: string): string[] {
  const start = readme.indexOf('\n## MCP servers\n')
  if (start < 0) throw new Error('README has no section "## MCP servers"')
  const rest = readme.slice(start + 1)
  const end = rest.slice(1).search(/\n## /)
  const body = end < 0 ? rest : rest.slice(0, end + 1)
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block = '']) =>
    block
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
  )
}

/** The banner's last line: once it is printed, every printed line works. */
const BANNER_END =
  /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*An MCP client \(Streamable HTTP\)[^\n]*\n/

let configHome = ''
beforeAll(async () => {
  configHome = await mkdtemp(join(tmpdir(), 'ayz-auth-mcp-first-run-'))
})
afterAll(() => rm(configHome, { recursive: true, force: true }))

describe('the README\'s "MCP servers" section', () => {
  it('names the commands this file runs', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    expect(mcpSectionCommands(readme)).toEqual(COMMANDS)
  })
})

/** A printed curl line, the status its `# NNN` comment expects, and the status it got. */
interface CurlRun {
  readonly line: string
  readonly expected: string | undefined
  readonly status: string | undefined
  readonly body: string
}

/**
 * Runs the banner's lines as a user pastes them into one shell: its `export NAME=value` lines set
 * the environment of every curl line after them; each curl runs as printed, but silently.
 */
async function runPrintedLines(output: string): Promise<CurlRun[]> {
  const exported: Record<string, string> = {}
  const runs: CurlRun[] = []
  for (const line of output.split('\n')) {
    const assignment = /^export ([A-Z_]+)=(\S+)$/.exec(line)
    if (assignment) exported[assignment[1] ?? ''] = assignment[2] ?? ''
    if (!line.startsWith('curl ')) continue
    const { stdout } = await promisify(execFile)(
      'sh',
      ['-c', line.replace(/^curl /, 'curl -sS ')],
      { env: { PATH: process.env.PATH ?? '', ...exported } }
    )
    runs.push({
      line,
      expected: /# (\d{3})/.exec(line)?.[1],
      status: /^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1],
      body: stdout.slice(stdout.search(/\r?\n\r?\n/)).trim(),
    })
  }
  return runs
}

describe.each(COMMANDS)('`%s` with nothing configured', (command) => {
  it('starts against the dev emulator, and every printed line works as it says', async () => {
    const server = await spawnServer({
      command: '/bin/sh',
      args: ['-c', command],
      cwd: ROOT,
      env: exampleEnv(configHome),
      ready: BANNER_END,
      timeoutMs: 60_000,
    })
    try {
      const output = server.output()
      expect(output).toMatch(
        /DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this MCP server uses the LOCAL STYTCH EMULATOR/
      )
      const memberId = /member (member-test-[\w-]+) of Acme \((organization-test-[\w-]+)\)/.exec(
        output
      )
      expect(memberId).not.toBeNull()

      const runs = await runPrintedLines(output)
      expect(runs.map((run) => run.expected)).toEqual(['200', '401', '200', '403'])
      for (const run of runs) expect(run).toEqual({ ...run, status: run.expected })
      // The tool call answered for the printed member; the metadata named the emulator.
      expect(runs[2]?.body).toContain(`"memberId":"${memberId?.[1]}"`)
      const emulator = /LOCAL STYTCH EMULATOR\n\*\*\* of ayz-auth\/testing at (\S+)\./.exec(output)
      expect(JSON.parse(runs[0]?.body ?? '{}')).toMatchObject({
        resource: `${server.url}/mcp`,
        authorization_servers: [emulator?.[1]],
      })

      // What it says an MCP client needs is enough for the official one.
      const token = /^export MCP_TOKEN=(\S+)$/m.exec(output)?.[1] ?? ''
      const client = new Client({ name: 'ayz-auth-first-run', version: '0.0.0' })
      try {
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${token}` } },
          })
        )
        const result = await client.callTool({ name: 'whoami', arguments: {} })
        expect(result.structuredContent).toMatchObject({
          memberId: memberId?.[1],
          organizationId: memberId?.[2],
          scopes: ['openid', 'profile'],
        })
      } finally {
        await client.close()
      }

      expect(noise(server.output())).toEqual([])
    } finally {
      await server.stop()
    }
  })

  it('refuses the emulator under NODE_ENV=production, in one message', async () => {
    const { code, output } = await runToExit(
      command,
      exampleEnv(configHome, { NODE_ENV: 'production' })
    )
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain('set STYTCH_PROJECT_ID and STYTCH_SECRET')
    expect(output).not.toContain('MCP_TOKEN')
    expect(noise(output)).toEqual([])
  })
})

/** A configuration error in each runtime's own configuration (a Worker's: its bindings). */
const MISCONFIGURED: { command: string; env: Record<string, string> }[] = [
  { command: 'npm run start:mcp', env: { STYTCH_CACHE: 'bogus' } },
  { command: 'npm run dev:mcp:workers -- --var STYTCH_CACHE:bogus', env: {} },
]

describe.each(MISCONFIGURED)('`$command` with STYTCH_CACHE=bogus', ({ command, env }) => {
  it('checks itself, prints the problem instead of the banner, and exits 1', async () => {
    const { code, output } = await runToExit(command, exampleEnv(configHome, env), 60_000)
    expect({ code, output }).toMatchObject({ code: 1 })
    expect(output).toContain(
      "The example did not start. POST /mcp (tools/call whoami) with the demo's token answered 500"
    )
    expect(output).toContain('STYTCH_CACHE')
    expect(output).not.toContain('MCP_TOKEN')
  })
})

describe('`npm run start:mcp` on a port another program holds', () => {
  it('prints one line naming the port and PORT, and exits 1', async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const { port } = holder.address() as { port: number }
    try {
      const { code, output } = await runToExit(
        'npm run start:mcp',
        exampleEnv(configHome, { PORT: `${port}` })
      )
      expect({ code, output }).toMatchObject({ code: 1 })
      expect(output).toContain(`Port ${port} is in use by another program`)
      expect(output).toContain(`e.g. PORT=${port + 1} npm run start:mcp`)
      expect(output).not.toMatch(/^\s+at /m)
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
  })
})
