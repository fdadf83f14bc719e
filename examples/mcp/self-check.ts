/**
 * The MCP example's check of itself before it says it is ready, so that a configuration error is
 * reported once, at start-up, and not by every command it would print.
 */
import type { Send } from '../shared/startup.ts'

/**
 * One MCP request through the app: `tools/call` of `whoami` with the demo's token (expected 200)
 * or with no token (expected 401). Gives what is wrong, or `undefined` when the app works.
 *
 * @example
 * ```ts
 * const problem = await mcpSelfCheck((path, init) => app.request(path, init), demo.token)
 * if (problem) exit(`The example did not start. ${problem}`)
 * ```
 */
export async function mcpSelfCheck(
  send: Send,
  path: string,
  token?: string
): Promise<string | undefined> {
  const expected = token ? 200 : 401
  const response = await send(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    }),
  })
  const text = await response.text()
  if (response.status === expected) return undefined
  let message = text.trim()
  try {
    const body = JSON.parse(text) as { message?: unknown }
    if (typeof body.message === 'string') message = body.message
  } catch {
    // not JSON: the text itself is the best we have
  }
  const asked = token ? "with the demo's token" : 'with no token'
  return (
    `POST ${path} (tools/call whoami) ${asked} answered ${response.status} instead of ${expected}: ${message}\n` +
    'Fix the setting it names (see "Configuration" in the README) and start again.'
  )
}
