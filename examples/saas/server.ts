/**
 * Serves the SaaS example: `MONGODB_URI=… STYTCH_PROJECT_ID=… STYTCH_SECRET=… tsx examples/saas/server.ts`.
 * The app's own collections and the entitlement documents share one MongoDB connection pool.
 */
import { serve } from '@hono/node-server'
import { mongoEntitlements } from 'ayz-auth/mongodb'
import { MongoClient } from 'mongodb'
import { createSaasApp } from './app.ts'

const uri = process.env.MONGODB_URI
if (!uri)
  throw new Error('Set MONGODB_URI (and STYTCH_PROJECT_ID, STYTCH_SECRET) to run the SaaS example')
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 })
const db = client.db()
const app = createSaasApp(db, { entitlements: mongoEntitlements({ client, db: db.databaseName }) })

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8000) }, (info) => {
  console.log(`SaaS example listening on http://localhost:${info.port}`)
})
