/**
 * The ayz-auth example on Bun: `npm run start:bun` (that is `bun run examples/bun/server.ts` after
 * building `dist/`), on port `PORT` (default 3000). With no `STYTCH_PROJECT_ID` set it starts the
 * Stytch emulator in this process, with the same demo members, page and curl commands as
 * `npm start`; with your Stytch project's settings (`process.env`, or a `.env` Bun loads itself) it
 * serves the API alone. Adapters a setting selects (`STYTCH_CACHE=upstash`) load from
 * `node_modules` on first use.
 */
import { demoBanner, exit, isAddressInUse, portInUse, startExample } from '../shared/startup.ts'

/** The part of Bun's API this file uses (the project's types are Node's). */
declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    fetch: (request: Request) => Response | Promise<Response>
  }): { readonly port: number }
}

const port = Number(process.env.PORT ?? 3000)
const { app, demo } = await startExample()

let server: { readonly port: number }
try {
  server = Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch })
} catch (error) {
  if (isAddressInUse(error)) exit(portInUse(port, 'npm run start:bun'))
  throw error
}
const base = `http://127.0.0.1:${server.port}`
console.log(`ayz-auth example (Bun) listening on ${base}`)
if (demo) console.log(demoBanner(base, demo, { page: true }))
