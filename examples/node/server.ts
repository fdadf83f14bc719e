/**
 * The ayz-auth example on Node: `npm start` (port `PORT`, default 3000). With no
 * `STYTCH_PROJECT_ID` set it runs against the built-in Stytch emulator, serves a demo web page at
 * `/`, and prints ready-to-paste curl commands; with your Stytch project's settings it serves the
 * API alone. Before saying it is ready it sends itself one request, so a configuration error is
 * reported once, here, and not by every command it would print.
 */
import { serve } from '@hono/node-server'
import { demoBanner, exit, isAddressInUse, portInUse, startExample } from '../shared/startup.ts'

const port = Number(process.env.PORT ?? 3000)
const { app, demo } = await startExample()

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  const base = `http://127.0.0.1:${info.port}`
  console.log(`ayz-auth example listening on ${base}`)
  if (demo) console.log(demoBanner(base, demo, { page: true }))
})
server.once('error', (error) => {
  if (isAddressInUse(error)) exit(portInUse(port, 'npm start'))
  throw error
})
