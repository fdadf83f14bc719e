/**
 * The demo web page of `npm start`, in a real browser: Debian's headless Chromium, driven by
 * playwright-core (which downloads no browser). Sign in as a seeded member, see `c.var.auth`, the
 * plan's entitlements and the team, the 403 message of a feature the plan lacks, a rate-limited
 * route's RateLimit fields and its 429, an API key created (shown once, with a curl that works),
 * used, listed and revoked, sign out, and be anonymous again. A screenshot of the
 * signed-in page is written to the test's temporary folder (kept, and its path printed, when
 * AYZ_KEEP_SCREENSHOTS is set).
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SpawnedServer } from '../runtimes/spawn-server.ts'
import { exampleEnv, noise, startExample } from './run-example.ts'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]
/** How long the page may take to show a state (the slowest step is five guarded requests). */
const STEP_MS = 15_000

let workdir = ''
let server: SpawnedServer
let browser: Browser
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`)
  }
  workdir = await mkdtemp(join(tmpdir(), 'ayz-auth-web-page-'))
  ;[server, browser] = await Promise.all([
    startExample('npm start', exampleEnv(workdir), { demo: true }),
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
  ])
})
afterAll(async () => {
  await Promise.all([browser?.close(), server?.stop()])
  if (process.env.AYZ_KEEP_SCREENSHOTS) console.log(`screenshots kept in ${workdir}`)
  else if (workdir) await rm(workdir, { recursive: true, force: true })
})

/** The whole visible text of the page's main area. */
const text = (page: Page) => page.locator('main').innerText()

describe('the npm start web page, in headless Chromium', () => {
  it('signs Ada in, shows her session, plan, a 403 and a 429 of the limited route, signs her out', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })

    await page.goto(`${server.url}/`)
    await page.getByText('You are not signed in').waitFor({ timeout: STEP_MS })

    await page.getByRole('button', { name: /Sign in as Ada Admin/ }).click()
    await page.getByText('Signed in as Ada Admin').waitFor({ timeout: STEP_MS })
    await page.locator('#features tr').nth(4).waitFor({ timeout: STEP_MS })
    const signedIn = await text(page)
    expect(signedIn).toContain('ada@acme.example')
    expect(signedIn).toMatch(/Plan\s+premium/)
    expect(signedIn).toMatch(/Entitlements\s+foresight, reporting/)
    expect(signedIn).toMatch(/Team\s+Research/)
    // One allowed, one forbidden, with the guard's own 403 message.
    expect(signedIn).toMatch(/Foresight\s+allowed\s+GET \/api\/foresight → 200 Foresight unlocked/i)
    expect(signedIn).toMatch(
      /Advanced analytics\s+forbidden\s+GET \/api\/advanced → 403 This feature requires all of: foresight, advanced_analytics/i
    )
    const cookies = await context.cookies()
    expect(
      cookies.map(({ name, httpOnly, sameSite, path }) => ({ name, httpOnly, sameSite, path }))
    ).toEqual(
      expect.arrayContaining([
        { name: 'stytch_session', httpOnly: true, sameSite: 'Lax', path: '/' },
        { name: 'stytch_session_jwt', httpOnly: true, sameSite: 'Lax', path: '/' },
      ])
    )
    // The limited route: 3 calls a minute per member, its RateLimit fields, then a 429.
    const call = page.getByRole('button', { name: 'Call the limited route' })
    for (let i = 1; i <= 4; i++) {
      await call.click()
      await page
        .locator('#limited li')
        .nth(i - 1)
        .waitFor({ timeout: STEP_MS })
    }
    const calls = await page.locator('#limited li').allInnerTexts()
    const policy = 'RateLimit-Policy: "demo";q=3;w=60'
    expect(calls).toEqual([
      `GET /api/limited → 200 · ${policy} · RateLimit: "demo";r=2;t=20 Within the limit`,
      `GET /api/limited → 200 · ${policy} · RateLimit: "demo";r=1;t=40 Within the limit`,
      `GET /api/limited → 200 · ${policy} · RateLimit: "demo";r=0;t=20 Within the limit`,
      `GET /api/limited → 429 · ${policy} · RateLimit: "demo";r=0;t=20 · Retry-After: 20 Too many requests: 3 per 60 s`,
    ])
    await page.screenshot({ path: join(workdir, 'signed-in.png'), fullPage: true })

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByText('You are not signed in').waitFor({ timeout: STEP_MS })
    expect(await context.cookies()).toEqual([])
    // Anonymous for the API too, not only for the page.
    expect((await page.request.get(`${server.url}/api/me`)).status()).toBe(401)

    expect(problems.filter((problem) => !/401|403|429/.test(problem))).toEqual([])
    await context.close()
  })

  it("shows Bob his basic plan: reports allowed, foresight forbidden with the guard's message", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/`)
    await page.getByRole('button', { name: /Sign in as Bob Member/ }).click()
    await page.locator('#features tr').nth(4).waitFor({ timeout: STEP_MS })
    const signedIn = await text(page)
    expect(signedIn).toContain('bob@globex.example')
    expect(signedIn).toMatch(/Team\s+\(no team\)/)
    expect(signedIn).toMatch(/Reports\s+allowed\s+GET \/api\/reports → 200 Reports unlocked/i)
    expect(signedIn).toContain(
      "GET /api/foresight → 403 This feature requires the 'foresight' entitlement"
    )
    await context.close()
  })

  it('creates an API key shown once, whose printed curl works, lists it without the key, revokes it', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(`${server.url}/`)
    await page.getByRole('button', { name: /Sign in as Ada Admin/ }).click()
    await page.getByRole('button', { name: 'Create an API key' }).click()
    const curl = await page.locator('#curl').innerText({ timeout: STEP_MS })
    const [, key, url] = /^curl -H 'authorization: Bearer (ak_test_\w{38})' (\S+)$/.exec(curl) ?? []
    expect(url).toBe(`${server.url}/v1/documents`)
    // The curl as printed, sent from outside the browser: no cookie, the key alone.
    const called = await fetch(url!, { headers: { authorization: `Bearer ${key}` } })
    expect(called.status).toBe(200)
    expect(await called.json()).toEqual({
      message: 'Documents of your organization',
      key: 'Demo script',
    })
    await page.getByRole('button', { name: 'Call GET /v1/documents with it' }).click()
    await page.getByText('GET /v1/documents → 200').waitFor({ timeout: STEP_MS })
    // Listed by its start, never the key itself.
    const listed = page.locator('#keys tr').first()
    await listed.waitFor({ timeout: STEP_MS })
    expect(await listed.innerText()).toContain(`${key!.slice(0, 12)}…`)
    expect(await page.locator('#keys').innerText()).not.toContain(key!.slice(12, 30))
    await listed.getByRole('button', { name: 'Revoke' }).click()
    await page.locator('#keys tr', { hasText: 'revoked' }).waitFor({ timeout: STEP_MS })
    const refused = await fetch(url!, { headers: { authorization: `Bearer ${key}` } })
    expect(refused.status).toBe(401)
    expect(problems).toEqual([])
    await context.close()
  })

  it('left nothing alarming in the server output', () => {
    expect(noise(server.output())).toEqual([])
  })
})
