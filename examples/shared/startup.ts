/**
 * What every runtime's example does around starting: check itself before saying it is ready, print
 * the demo's banner, and turn the usual start-up failures into one line that says what to do.
 */
import { Hono } from 'hono'
import { createApp } from './app.ts'
import { demoPage } from './demo-page.ts'
import { demoRefusal, startDemoStytch, type Demo } from './demo-stytch.ts'

/**
 * The example app, checked before it is served: with no `STYTCH_PROJECT_ID`, the Stytch emulator
 * started in this process with the demo members and the demo page (refused in production);
 * otherwise the API alone, against your Stytch project. A failed self-check exits with one line.
 *
 * @example
 * ```ts
 * const { app, demo } = await startExample()
 * serve({ fetch: app.fetch, port })
 * ```
 */
export async function startExample(): Promise<{ app: Hono; demo: Demo | undefined }> {
  let demo: Demo | undefined
  if (!process.env.STYTCH_PROJECT_ID) {
    const refusal = demoRefusal()
    if (refusal) exit(refusal)
    demo = await startDemoStytch()
  }
  const app = new Hono()
  if (demo) app.route('/', demoPage(demo))
  app.route('/', createApp(demo?.auth))
  const problem = await selfCheck(
    (path, init) => app.request(path, init),
    demo?.members.ada.sessionToken
  )
  if (problem) exit(`The example did not start. ${problem}`)
  return { app, demo }
}

/** Sends a request to the app (in process, or over HTTP) and gives its response. */
export type Send = (path: string, init?: RequestInit) => Response | Promise<Response>

/**
 * One request through the app before the banner: `GET /api/me` with a demo session (expected 200)
 * or with no token (expected 401). Gives what is wrong, or `undefined` when the app works; a
 * configuration error (a JSON 500 `{error:'configuration_error', message}`, or a plain 500) shows up
 * here instead of in every command the banner would print.
 *
 * @example
 * ```ts
 * const problem = await selfCheck((path, init) => app.request(path, init), demo.members.ada.sessionToken)
 * if (problem) exit(problem)
 * ```
 */
export async function selfCheck(send: Send, sessionToken?: string): Promise<string | undefined> {
  const expected = sessionToken ? 200 : 401
  const response = await send(
    '/api/me',
    sessionToken ? { headers: { authorization: `Bearer ${sessionToken}` } } : {}
  )
  if (response.status === expected) {
    await response.body?.cancel()
    return undefined
  }
  const text = await response.text()
  let message = text.trim()
  try {
    const body = JSON.parse(text) as { message?: unknown }
    if (typeof body.message === 'string') message = body.message
  } catch {
    // not JSON: the text itself is the best we have
  }
  const asked = sessionToken ? 'with a demo session' : 'with no token'
  return (
    `GET /api/me ${asked} answered ${response.status} instead of ${expected}: ${message}\n` +
    'Fix the setting it names (see "Configuration" in the README) and start again.'
  )
}

/** Prints `message` to stderr and exits with status 1. */
export function exit(message: string): never {
  console.error(message)
  process.exit(1)
}

/** The line printed when the port is taken, instead of a stack trace. */
export function portInUse(port: number | string, command: string): string {
  return `Port ${port} is in use by another program: stop it, or choose another port, e.g. PORT=${Number(port) + 1} ${command}`
}

/** Whether `error` says the address is already in use (Node, Bun and Deno alike). */
export function isAddressInUse(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { code?: unknown }).code === 'EADDRINUSE' ||
      (error as { name?: unknown }).name === 'AddrInUse')
  )
}

/**
 * The announcement of a demo: loud about the emulator, then commands that work as printed, each
 * with its expected status after `#` (a test runs them all, in order).
 *
 * @example
 * ```ts
 * console.log(demoBanner('http://127.0.0.1:3000', demo, { page: true }))
 * ```
 */
export function demoBanner(base: string, demo: Demo, { page }: { page: boolean }): string {
  const { ada, bob } = demo.members
  const as = (member: { sessionToken: string }) =>
    `-H "Authorization: Bearer ${member.sessionToken}"`
  return [
    '',
    '*** DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this app uses the LOCAL STYTCH EMULATOR',
    `*** of ayz-auth/testing at ${demo.emulatorUrl}. It hands out fake sessions: never use it in production.`,
    '*** Entitlements come from an in-memory demo source (examples/shared/demo-entitlements.ts).',
    '',
    'Demo members:',
    `  ${ada.name} <${ada.email}>, ${ada.organization} (${ada.plan} plan): ${ada.about}`,
    `  ${bob.name} <${bob.email}>, ${bob.organization} (${bob.plan} plan): ${bob.about}`,
    ...(page ? ['', `Open ${base}/ in a browser to sign in as either of them.`] : []),
    '',
    'Try these (expected status after #):',
    `curl -i ${base}/shop  # 200 as a guest`,
    `curl -i ${base}/api/me  # 401 no token`,
    `curl -i ${as(bob)} ${base}/api/me  # 200 Bob's session, entitlements and team`,
    `curl -i ${as(bob)} ${base}/api/admin  # 403 Bob lacks the admin claim`,
    `curl -i ${as(ada)} ${base}/api/admin  # 200 Ada has it`,
    `curl -i ${as(bob)} ${base}/api/secure  # 403 Bob has one factor`,
    `curl -i ${as(ada)} ${base}/api/secure  # 200 Ada has password + totp`,
    `curl -i ${as(ada)} ${base}/api/foresight  # 200 Acme's premium plan includes foresight`,
    `curl -i ${as(bob)} ${base}/api/foresight  # 403 Globex's basic plan does not`,
    `curl -i ${as(bob)} ${base}/api/reports  # 200 the basic plan includes reporting`,
    `curl -i ${as(ada)} ${base}/api/advanced  # 403 Acme lacks advanced_analytics`,
    `curl -i ${as(ada)} ${base}/shop  # 200 welcomed by name`,
    `curl -i ${as(ada)} ${base}/api/limited  # 200 with RateLimit: "demo";r=2;t=20 (3 calls a minute each; the 4th is a 429)`,
    `curl -i -X POST ${as(bob)} ${base}/api/logout  # 204 Bob logs out`,
    `curl -i ${as(bob)} ${base}/api/me  # 401 his session is revoked`,
    '',
  ].join('\n')
}
