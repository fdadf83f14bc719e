/**
 * The demo's web page (development mode only): sign in as a seeded member, see what `c.var.auth`
 * holds (`GET /api/me`), the organization's plan, entitlements and team, which guarded routes let
 * the member through (and the 403 message of those that do not), a rate-limited route's
 * `RateLimit` fields and its 429, the organization's API keys (create one, shown once with a curl
 * that uses it; list; revoke), and sign out. Plain HTML and a
 * little script; the browser holds the session in Stytch's own cookies (`stytch_session`,
 * `stytch_session_jwt`), set here as Stytch's frontend SDK would set them after a login.
 */
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import { FEATURES } from './app.ts'
import type { Demo } from './demo-stytch.ts'

/**
 * `GET /` (the page) and `POST /demo/sign-in` (`{"member":"ada"|"bob"}`: sets the session
 * cookies). Signing out is the API's own `POST /api/logout`.
 *
 * @example
 * ```ts
 * app.route('/', demoPage(demo)) // before the API app, so its `/` is the page
 * ```
 */
export function demoPage(demo: Demo): Hono {
  const page = new Hono()
  const members = Object.values(demo.members).map(({ key, name, email, organization, plan }) => ({
    key,
    name,
    email,
    organization,
    plan,
  }))
  const html = PAGE.replace('__DATA__', () =>
    // JSON inside <script>: escape `<` so no value can close the element.
    JSON.stringify({ members, features: FEATURES }).replace(/</g, '\\u003c')
  )
  page.get('/', (c) => c.html(html))
  page.post('/demo/sign-in', async (c) => {
    const { member } = await c.req.json<{ member?: unknown }>().catch(() => ({ member: undefined }))
    if (member !== 'ada' && member !== 'bob') {
      return c.json({ error: 'bad_request', message: 'member must be "ada" or "bob"' }, 400)
    }
    const session = await demo.signIn(member)
    const cookie = { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: session.maxAge } as const
    setCookie(c, 'stytch_session', session.sessionToken, cookie)
    setCookie(c, 'stytch_session_jwt', session.sessionJwt, cookie)
    return c.body(null, 204)
  })
  return page
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ayz-auth demo</title>
<link rel="icon" href="data:,">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
  .dev { background: #fff4d6; border: 1px solid #e8c15a; padding: 0.5rem 0.75rem; border-radius: 6px; }
  button { font: inherit; padding: 0.4rem 0.9rem; margin: 0.25rem 0.5rem 0.25rem 0; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  button:hover { background: #f0f0f0; }
  table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
  th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { width: 11rem; font-weight: 600; }
  code, pre { font: 13px/1.4 ui-monospace, monospace; }
  pre { background: #f6f6f6; padding: 0.75rem; overflow: auto; max-height: 18rem; }
  .allowed { color: #11703a; }
  .forbidden { color: #a4161a; }
  .badge { font-size: 0.75rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
</style>
</head>
<body>
<h1>ayz-auth demo</h1>
<p class="dev">Development mode: sessions come from the local Stytch emulator, entitlements from an
in-memory demo source. Never use this in production.</p>
<main id="app"><p>Loading…</p></main>
<script id="data" type="application/json">__DATA__</script>
<script>
const { members, features } = JSON.parse(document.getElementById('data').textContent)
const app = document.getElementById('app')

function el(tag, attributes = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attributes)
  node.append(...children)
  return node
}

async function render() {
  const response = await fetch('/api/me')
  app.replaceChildren()
  if (response.status === 401) return renderAnonymous()
  const me = await response.json()
  if (!response.ok) return app.append(el('p', { className: 'forbidden' }, me.message ?? response.statusText))
  await renderMember(me)
}

function renderAnonymous() {
  app.append(
    el('h2', {}, 'You are not signed in'),
    el('p', {}, 'GET /api/me answers 401. Sign in as a seeded member:'),
    ...members.map((member) =>
      el('button', { onclick: () => signIn(member.key) },
        'Sign in as ' + member.name + ' (' + member.organization + ', ' + member.plan + ' plan)')
    )
  )
}

async function renderMember(me) {
  const row = (name, value) => el('tr', {}, el('th', {}, name), el('td', {}, value))
  const list = (values) => (values && values.length ? values.join(', ') : '(none)')
  app.append(
    el('h2', {}, 'Signed in as ' + (me.memberName ?? me.memberEmail)),
    el('table', {},
      row('Email', me.memberEmail ?? '(none)'),
      row('Organization', me.organizationId),
      row('Plan', me.subscriptionTier ?? '(none)'),
      row('Entitlements', list(me.entitlements)),
      row('Team', me.currentTeamName ?? '(no team)'),
      row('Factors', list(me.authenticationFactors)),
      row('Custom claims', JSON.stringify(me.sessionCustomClaims)),
      row('Session expires', new Date(me.sessionExpiresAt).toLocaleString())
    ),
    el('h3', {}, 'What this member can do'),
  )
  const results = el('table', { id: 'features' })
  app.append(results)
  for (const feature of features) {
    const response = await fetch(feature.path)
    const body = await response.json().catch(() => ({}))
    const allowed = response.ok
    results.append(
      el('tr', { className: allowed ? 'allowed' : 'forbidden' },
        el('th', {}, feature.name, el('br'), el('span', { className: 'badge' }, allowed ? 'allowed' : 'forbidden')),
        el('td', {}, el('code', {}, 'GET ' + feature.path + ' → ' + response.status), ' ',
          body.message ?? '', el('br'), el('small', {}, el('code', {}, feature.guard))))
    )
  }
  app.append(
    el('h3', {}, 'Rate limit'),
    el('p', {}, 'GET /api/limited lets each member call it 3 times a minute: ',
      el('code', {}, "rateLimit({ name: 'demo', limit: 3, window: 60 })"), '.'),
    el('button', { onclick: callLimited }, 'Call the limited route'),
    el('ol', { id: 'limited' }),
    el('h3', {}, 'API keys'),
    el('p', {}, "Programs call GET /v1/documents with an organization's key (",
      el('code', {}, "requireScopes('read:documents')"), '). A key is shown once; only its hash is stored.'),
    el('button', { onclick: createKey }, 'Create an API key'),
    el('div', { id: 'new-key' }),
    el('table', { id: 'keys' }),
    el('button', { onclick: signOut }, 'Sign out'),
    el('details', {}, el('summary', {}, 'c.var.auth (GET /api/me)'),
      el('pre', {}, JSON.stringify(me, null, 2)))
  )
  await renderKeys()
}

async function callLimited() {
  const response = await fetch('/api/limited')
  const body = await response.json().catch(() => ({}))
  const header = (name) => (response.headers.get(name) === null ? '' : ' · ' + name + ': ' + response.headers.get(name))
  document.getElementById('limited').append(
    el('li', { className: response.ok ? 'allowed' : 'forbidden' },
      el('code', {}, 'GET /api/limited → ' + response.status + header('RateLimit-Policy') +
        header('RateLimit') + header('Retry-After')), ' ', body.message ?? '')
  )
}

async function createKey() {
  const response = await fetch('/api/keys', { method: 'POST' })
  const created = await response.json()
  if (!response.ok) return document.getElementById('new-key').replaceChildren(el('p', { className: 'forbidden' }, created.message))
  const curl = "curl -H 'authorization: Bearer " + created.key + "' " + location.origin + '/v1/documents'
  document.getElementById('new-key').replaceChildren(
    el('p', {}, 'Your new key (copy it now: it is not shown again):'),
    el('pre', { id: 'curl' }, curl),
    el('button', { onclick: () => useKey(created.key) }, 'Call GET /v1/documents with it'),
    el('p', { id: 'key-call' })
  )
  await renderKeys()
}

async function useKey(key) {
  const response = await fetch('/v1/documents', { headers: { authorization: 'Bearer ' + key } })
  const body = await response.json().catch(() => ({}))
  document.getElementById('key-call').replaceChildren(
    el('code', { className: response.ok ? 'allowed' : 'forbidden' },
      'GET /v1/documents → ' + response.status + ' ' + (body.message ?? ''))
  )
}

async function renderKeys() {
  const keys = await (await fetch('/api/keys')).json()
  document.getElementById('keys').replaceChildren(
    ...keys.map((key) => el('tr', { className: key.revokedAt ? 'forbidden' : 'allowed' },
      el('th', {}, key.name, el('br'), el('code', {}, key.start + '…')),
      el('td', {}, key.revokedAt ? 'revoked' : el('button', { onclick: () => revokeKey(key.id) }, 'Revoke'))))
  )
}

async function revokeKey(id) {
  await fetch('/api/keys/' + id, { method: 'DELETE' })
  await renderKeys()
}

async function signIn(member) {
  await fetch('/demo/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ member }),
  })
  await render()
}

async function signOut() {
  await fetch('/api/logout', { method: 'POST' })
  await render()
}

render()
</script>
</body>
</html>
`
