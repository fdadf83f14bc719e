/**
 * The ayz-auth example on Node: `npm start`. With no Stytch credentials configured it runs against
 * the built-in Stytch emulator and prints ready-to-paste curl commands.
 */
import { serve } from '@hono/node-server'
import { createApp } from '../shared/app.ts'
import { startDemoStytch, type Demo } from './demo-stytch.ts'

const demo = process.env.STYTCH_PROJECT_ID ? undefined : await startDemoStytch()
const port = Number(process.env.PORT ?? 3000)

serve({ fetch: createApp().fetch, port, hostname: '127.0.0.1' }, (info) => {
  const base = `http://127.0.0.1:${info.port}`
  console.log(`ayz-auth example listening on ${base}`)
  if (demo) console.log(banner(base, demo))
})

function banner(base: string, demo: Demo): string {
  const as = (token: string) => `-H "Authorization: Bearer ${token}"`
  return [
    '',
    '*** DEVELOPMENT MODE: no STYTCH_PROJECT_ID is set, so this app uses the LOCAL STYTCH EMULATOR',
    `*** of ayz-auth/testing at ${demo.emulatorUrl}. It hands out fake sessions: never use it in production.`,
    '',
    'Try these (expected status after #):',
    `curl -i ${base}/  # 200 public`,
    `curl -i ${base}/api/me  # 401 no token`,
    `curl -i ${as(demo.memberToken)} ${base}/api/me  # 200 Bob's session`,
    `curl -i ${as(demo.memberToken)} ${base}/api/admin  # 403 Bob lacks the admin claim`,
    `curl -i ${as(demo.adminToken)} ${base}/api/admin  # 200 Ada has it`,
    `curl -i ${as(demo.memberToken)} ${base}/api/secure  # 403 Bob has one factor`,
    `curl -i ${as(demo.adminToken)} ${base}/api/secure  # 200 Ada has password + totp`,
    `curl -i ${base}/shop  # 200 as a guest`,
    `curl -i ${as(demo.adminToken)} ${base}/shop  # 200 welcomed by name`,
    `curl -i -X POST ${as(demo.memberToken)} ${base}/api/logout  # 204 Bob logs out`,
    `curl -i ${as(demo.memberToken)} ${base}/api/me  # 401 his session is revoked`,
    '',
  ].join('\n')
}
