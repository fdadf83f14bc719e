/**
 * The Auth0 example on Node: `npm run start:auth0` (port `PORT`, default 3000). With no
 * `AUTH0_DOMAIN` set it runs against the built-in Auth0 emulator and prints ready-to-paste curl
 * commands for a user with permissions, one without, and an M2M application; with your tenant's
 * settings (`AUTH0_DOMAIN`, `AUTH0_API_AUDIENCE`) it serves the API alone. Before saying it is
 * ready it sends itself one request, so a configuration error is reported once, here.
 */
import { serve } from '@hono/node-server'
import { exit, isAddressInUse, portInUse, selfCheck } from '../shared/startup.ts'
import { createAuth0App } from './app.ts'
import { auth0Banner, auth0DemoRefusal, startAuth0Demo, type Auth0Demo } from './demo.ts'

const port = Number(process.env.PORT ?? 3000)
let demo: Auth0Demo | undefined
if (!process.env.AUTH0_DOMAIN && !process.env.AUTH0_BASE_URL) {
  const refusal = auth0DemoRefusal()
  if (refusal) exit(refusal)
  demo = await startAuth0Demo()
}
const app = createAuth0App(demo?.auth)
const problem = await selfCheck((path, init) => app.request(path, init), demo?.users.ada.token)
if (problem) exit(`The example did not start. ${problem}`)

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  const base = `http://127.0.0.1:${info.port}`
  console.log(`ayz-auth Auth0 example listening on ${base}`)
  if (demo) console.log(auth0Banner(base, demo))
  else
    console.log(
      'Send an access token of your Auth0 API: curl -H "Authorization: Bearer …" …/api/me'
    )
})
server.once('error', (error) => {
  if (isAddressInUse(error)) exit(portInUse(port, 'npm run start:auth0'))
  throw error
})
