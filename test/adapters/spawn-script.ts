import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Instance } from './spawn-instance.ts'

/**
 * Starts an instance script (`test/adapters/app-instance.ts` or another that prints
 * `{"port":…}` once it listens) in a child process with `env`; resolves once it listens. Its
 * `stop()` may be called any number of times.
 */
export async function spawnScript(script: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  // Not left behind when the test process exits without stopping it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit)
      resolve()
    })
  )
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line)
      const port = /^\{"port":(\d+)\}$/.exec(line)?.[1]
      if (port) resolve(Number(port))
    })
    void exited.then(() => reject(new Error(`${script} exited: ${output.join('')}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
