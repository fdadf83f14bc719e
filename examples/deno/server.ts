/**
 * The ayz-auth example on Deno: `npm run start:deno`, that is, after building `dist/`, in this
 * folder `deno run --allow-net --allow-env server.ts` (port `PORT`, default 8000). `deno.json` maps
 * `ayz-auth` to this repository's build and the other packages to its `node_modules`, so the
 * example runs from the repository as it is (in your app, map `ayz-auth` to `npm:ayz-auth` or
 * `jsr:@ayz/auth`: see the README). With no `STYTCH_PROJECT_ID` set it starts the Stytch emulator
 * in this process, with the same demo members, page and curl commands as `npm start`; with your
 * Stytch project's settings it serves the API alone. The HTTP backends are imported so
 * `UPSTASH_REDIS_REST_URL` and `STYTCH_DATA_API_URL` select them, as on Deno Deploy.
 */
import 'ayz-auth/upstash'
import 'ayz-auth/data-api'
import { demoBanner, exit, isAddressInUse, portInUse, startExample } from '../shared/startup.ts'

/** The part of Deno's API this file uses (the project's types are Node's). */
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>
  ): unknown
}

const port = Number(process.env.PORT ?? 8000)
const { app, demo } = await startExample()

const onListen = ({ port }: { port: number }) => {
  const base = `http://127.0.0.1:${port}`
  console.log(`ayz-auth example (Deno) listening on ${base}`)
  if (demo) console.log(demoBanner(base, demo, { page: true }))
}
try {
  Deno.serve({ port, hostname: '127.0.0.1', onListen }, app.fetch)
} catch (error) {
  if (isAddressInUse(error)) exit(portInUse(port, 'npm run start:deno'))
  throw error
}
