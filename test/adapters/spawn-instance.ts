import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A running app instance in a child process. */
export interface Instance {
  readonly url: string
  readonly output: string[]
  stop(): Promise<void>
}

/** Starts `test/adapters/app-instance.ts` with `env` and resolves once it listens. */
export async function spawnInstance(env: Record<string, string>): Promise<Instance> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/adapters/app-instance.ts'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  const output: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      output.push(line)
      try {
        const parsed = JSON.parse(line) as { port?: number }
        if (parsed.port) resolve(parsed.port)
      } catch {
        // not the ready line
      }
    })
    child.once('exit', (code) => reject(new Error(`instance exited (${code}): ${output.join('')}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
