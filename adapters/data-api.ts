/**
 * @module
 * Entitlements over HTTP with the Atlas Data API protocol, for runtimes without TCP sockets
 * (Cloudflare Workers, Vercel Edge). MongoDB retired its hosted Data API on 30 September 2025: this
 * adapter speaks the same protocol (`POST {base}/action/findOne|aggregate`, EJSON requests) to any
 * compatible endpoint, such as a self-hosted replacement. Importing this module also lets
 * `STYTCH_DATA_API_URL` and `STYTCH_DATA_API_KEY` configure it from the environment.
 */
import {
  entitlementSchema,
  type EntitlementSchemaOverrides,
  type EntitlementSource,
  type SourceDocument,
} from '../src/entitlements/entitlement-source.ts'
import {
  DEFAULT_DATABASE,
  memberPipeline,
  membersOf,
  organizationQuery,
} from '../src/entitlements/queries.ts'
import { registerEntitlementBackend } from '../src/runtime/backends.ts'

/** Options of {@link dataApiEntitlements}. */
export interface DataApiEntitlementsOptions {
  /** The endpoint's base URL, e.g. `https://data.example.com/app/<app-id>/endpoint/data/v1`. */
  readonly url: string
  /** Sent as the `apiKey` header. */
  readonly apiKey: string
  /** The cluster name in the protocol. Default `mongodb-atlas`. */
  readonly dataSource?: string
  /** Default `soulmates`. */
  readonly database?: string
  /** Other collection or field names than the original's. */
  readonly schema?: EntitlementSchemaOverrides
  /** Milliseconds a request may take before the source counts as unreachable. Default 2000. */
  readonly timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 2000

/**
 * An {@link EntitlementSource} over the Atlas Data API protocol, with `fetch` only.
 *
 * @example
 * ```ts
 * import { dataApiEntitlements } from 'ayz-auth/data-api'
 * app.use('*', stytchAuth({ entitlements: dataApiEntitlements({ url: env.DATA_API_URL, apiKey: env.DATA_API_KEY }) }))
 * ```
 */
export function dataApiEntitlements(options: DataApiEntitlementsOptions): EntitlementSource {
  const schema = entitlementSchema(options.schema)
  const base = options.url.replace(/\/+$/, '')
  const namespace = {
    dataSource: options.dataSource ?? 'mongodb-atlas',
    database: options.database ?? DEFAULT_DATABASE,
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS

  const action = async <T>(
    name: string,
    collection: string,
    body: Record<string, unknown>,
    signal = AbortSignal.timeout(Math.ceil(timeoutMs))
  ): Promise<T> => {
    const response = await fetch(`${base}/action/${name}`, {
      method: 'POST',
      // EJSON in, so ObjectIds in filters keep their type; plain JSON out (ObjectIds as hex strings).
      headers: {
        'content-type': 'application/ejson',
        accept: 'application/json',
        apiKey: options.apiKey,
      },
      body: JSON.stringify({ ...namespace, collection, ...body }),
      signal,
    })
    if (!response.ok) throw new Error(`Data API ${name} answered ${response.status}`)
    return (await response.json()) as T
  }

  return {
    schema,
    name: `data api at ${new URL(base).origin}`,
    timeoutMs,
    async findOrganization(stytchOrganizationId, signal) {
      const query = organizationQuery(schema, stytchOrganizationId)
      const { document } = await action<{ document?: SourceDocument | null }>(
        'findOne',
        schema.collections.organizations,
        query,
        signal
      )
      return document ?? null
    },
    async findMember(lookup, signal) {
      const pipeline = memberPipeline(schema, lookup, (hex) => ({ $oid: hex }))
      const { documents } = await action<{ documents?: Record<string, unknown>[] }>(
        'aggregate',
        schema.collections.users,
        { pipeline },
        signal
      )
      return membersOf(documents ?? [])
    },
  }
}

registerEntitlementBackend('data-api', (config) => {
  const dataApi = config.dataApi
  if (!dataApi) throw new TypeError('no Data API URL and key configured')
  return dataApiEntitlements({
    url: dataApi.url,
    apiKey: dataApi.apiKey,
    dataSource: dataApi.dataSource,
    ...(dataApi.db ? { database: dataApi.db } : {}),
  })
})
