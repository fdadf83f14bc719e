/**
 * @module
 * The duration-based load generator: wrk (C, light on a 2-core machine) when installed, else
 * autocannon in its own process. Both keep `connections` keep-alive connections busy for a fixed
 * time, rotating over the given tokens (each carried as the run asks: `Authorization: Bearer` or a
 * `Cookie` header, see `carriers.ts`), and report throughput and latency percentiles.
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { tokenHeader, type Carrier } from './carriers.ts'
import { findProgram, forkTs, runDir, spawnTracked, stopChild } from './children.ts'
import type { AutocannonApi, LoadOptions, LoadResult } from './clients/load-api.ts'
import { RpcClient } from './rpc.ts'

/** A load generator, ready to run. */
export interface LoadGenerator {
  /** Name and version, for the report. */
  readonly description: string
  /** Whether the `threads` option applies (wrk); autocannon runs in one process. */
  readonly threaded: boolean
  run(options: LoadOptions): Promise<LoadResult>
  close(): Promise<void>
}

/** Which generator to use: `auto` prefers wrk. */
export type LoadGeneratorChoice = 'auto' | 'wrk' | 'autocannon'

/**
 * The load generator for this run, on CPU `cpu` when given (pinned mode).
 *
 * @example
 * ```ts
 * const load = await createLoadGenerator('auto')
 * const result = await load.run({
 *   url, tokens, carrier: 'bearer', connections: 50, threads: 2, durationSeconds: 10,
 * })
 * ```
 */
export async function createLoadGenerator(
  choice: LoadGeneratorChoice,
  cpu?: number
): Promise<LoadGenerator> {
  const wrk = choice === 'autocannon' ? undefined : findProgram('wrk')
  if (wrk) return wrkGenerator(wrk, cpu)
  if (choice === 'wrk') {
    throw new Error('wrk was asked for but is not installed (apt-get install wrk)')
  }
  return autocannonGenerator(
    choice === 'autocannon' ? 'chosen with --load' : 'wrk not installed',
    cpu
  )
}

const MARKER = '@@bench@@'

/** A Lua string literal (tokens, header values: kept as they are unless they need escaping). */
function luaString(value: string): string {
  if (/^[A-Za-z0-9_.~+/=;: -]*$/.test(value)) return `"${value}"`
  // Every UTF-8 byte as a decimal escape (`\ddd`), which Lua reads back byte for byte.
  return `"${[...Buffer.from(value, 'utf8')].map((byte) => `\\${String(byte).padStart(3, '0')}`).join('')}"`
}

/**
 * The wrk script: requests are formatted once per thread in `init`, so a request costs wrk a table
 * lookup. Each thread rotates over its own share of the tokens (thread t of n takes every n-th,
 * from the t-th): were the threads to share tokens, one would fall into step with the other and
 * ride on its cache entries and in-flight loads. `done` prints the numbers as one marked line
 * (latencies in µs, as wrk records them). Each token's header value is built here, once (see
 * `carriers.ts`). Script argument: the thread count.
 */
function wrkScript(path: string, tokens: readonly string[], carrier: Carrier): string {
  const headers = tokens.map((token) => tokenHeader(carrier, token))
  const name = headers[0]?.[0] ?? 'Authorization'
  return `local header = ${luaString(name)}
local values = {
${headers.map(([, value]) => luaString(value)).join(',\n')}
}
local next_thread = 0
function setup(thread)
  thread:set("thread_offset", next_thread)
  next_thread = next_thread + 1
end
local requests = {}
local count = 0
local index = 0
function init(args)
  local threads = tonumber(args[1]) or 1
  local offset = thread_offset or 0
  for i, value in ipairs(values) do
    if (i - 1) % threads == offset % threads or #values < threads then
      requests[#requests + 1] = wrk.format("GET", ${luaString(path)}, { [header] = value })
    end
  end
  count = #requests
end
function request()
  index = index % count + 1
  return requests[index]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("${MARKER} %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.3f %.3f %.3f %.3f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`
}

function wrkGenerator(binary: string, cpu: number | undefined): LoadGenerator {
  const version =
    /wrk\s+(\S+)/.exec(spawnSync(binary, ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown'
  const scripts = new Map<readonly string[], Map<string, string>>()
  let written = 0
  const scriptFor = (path: string, tokens: readonly string[], carrier: Carrier): string => {
    const byRequest = scripts.get(tokens) ?? new Map<string, string>()
    scripts.set(tokens, byRequest)
    const key = `${carrier} ${path}`
    let file = byRequest.get(key)
    if (!file) {
      file = join(runDir(), `load-${++written}.lua`)
      writeFileSync(file, wrkScript(path, tokens, carrier))
      byRequest.set(key, file)
    }
    return file
  }
  return {
    description: `wrk ${version}`,
    threaded: true,
    async run(options) {
      const { pathname } = new URL(options.url)
      const args = [
        `-t${options.threads}`,
        `-c${options.connections}`,
        `-d${options.durationSeconds}s`,
        '--timeout',
        '10s',
        '-s',
        scriptFor(pathname, options.tokens, options.carrier),
        options.url,
        '--',
        String(options.threads),
      ]
      const child = spawnTracked(binary, args, cpu)
      const [stdout, stderr] = await Promise.all([
        collect(child, 'stdout'),
        collect(child, 'stderr'),
        once(child, 'exit'),
      ])
      const line = stdout.split('\n').find((text) => text.startsWith(MARKER))
      if (!line)
        throw new Error(`wrk printed no result (args: ${args.join(' ')}):\n${stdout}\n${stderr}`)
      const [
        requests = 0,
        durationUs = 1,
        connect = 0,
        read = 0,
        write = 0,
        status = 0,
        timeout = 0,
        p50 = 0,
        p90 = 0,
        p99 = 0,
        max = 0,
      ] = line.slice(MARKER.length).trim().split(/\s+/).map(Number)
      const durationSeconds = durationUs / 1e6
      return {
        requests,
        durationSeconds,
        rps: requests / durationSeconds,
        p50Ms: p50 / 1000,
        p90Ms: p90 / 1000,
        p99Ms: p99 / 1000,
        maxMs: max / 1000,
        errors: connect + read + write + timeout,
        non2xx: status,
      }
    },
    async close() {},
  }
}

function collect(child: ChildProcess, stream: 'stdout' | 'stderr'): Promise<string> {
  const source = child[stream]
  if (!source) return Promise.resolve('')
  let text = ''
  source.setEncoding('utf8')
  source.on('data', (chunk: string) => {
    text += chunk
  })
  return once(source, 'end').then(() => text)
}

async function autocannonGenerator(why: string, cpu: number | undefined): Promise<LoadGenerator> {
  const child = forkTs(
    new URL('./clients/autocannon.ts', import.meta.url),
    [],
    cpu === undefined ? {} : { cpu }
  )
  await once(child, 'message')
  const rpc = new RpcClient<AutocannonApi>(child)
  const { version } = createRequire(import.meta.url)('autocannon/package.json') as {
    version: string
  }
  return {
    description: `autocannon ${version} (${why}; latencies in whole ms)`,
    threaded: false,
    run: (options) => rpc.call('run', options),
    close: () => stopChild(child),
  }
}
