/**
 * `npm run dev:workers`: the Workers example with nothing configured. This script starts the
 * Stytch emulator here, in Node, seeds the demo members, and runs `wrangler dev` on
 * `examples/workers/src/demo.ts` with `--var` bindings pointing at it (see
 * `../shared/wrangler-dev.ts`). Once the Worker answers a request with a demo session, it prints
 * the same banner as `npm start`.
 */
import { demoRefusal, startDemoStytch } from '../shared/demo-stytch.ts'
import { demoBanner, exit, selfCheck } from '../shared/startup.ts'
import { runWranglerDev } from '../shared/wrangler-dev.ts'

const refusal = demoRefusal()
if (refusal) exit(refusal)
const demo = await startDemoStytch()

runWranglerDev({
  worker: ['examples/workers/src/demo.ts', '--config', 'wrangler.toml'],
  bindings: {
    STYTCH_PROJECT_ID: demo.auth.projectId,
    STYTCH_SECRET: demo.auth.secret,
    STYTCH_BASE_URL: demo.auth.baseUrl,
    AYZ_DEMO_IDS: JSON.stringify(demo.ids),
  },
  check: (base) =>
    selfCheck((path, init) => fetch(`${base}${path}`, init), demo.members.ada.sessionToken),
  announce: (base) => {
    console.log(`ayz-auth example (Workers, wrangler dev) listening on ${base}`)
    console.log(demoBanner(base, demo, { page: false }))
  },
  close: () => demo.close(),
})
