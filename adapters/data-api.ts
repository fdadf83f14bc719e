/**
 * @module
 * Entitlements and organization API keys over HTTP with the Atlas Data API protocol, for runtimes
 * without TCP sockets (Cloudflare Workers, Vercel Edge). MongoDB retired its hosted Data API on 30
 * September 2025: this adapter speaks the same protocol (`POST {base}/action/findOne|find|
 * aggregate|insertOne|updateOne`, EJSON requests) to any compatible endpoint, such as a
 * self-hosted replacement. Importing this module also lets `STYTCH_DATA_API_URL` and
 * `STYTCH_DATA_API_KEY` configure it from the environment.
 */
import {
  apiKeyDocumentOf,
  apiKeyFieldsOf,
  newestFirst,
  storedApiKeyOf,
} from '../src/api-keys/api-key-record.ts'
import type { ApiKeyStore } from '../src/api-keys/api-key-store.ts'
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
import { objectIdHex } from '../src/entitlements/records.ts'
import { registerApiKeyBackend, registerEntitlementBackend } from '../src/runtime/backends.ts'

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

/** Options of {@link dataApiApiKeys}: the endpoint's, and the collection. */
export interface DataApiApiKeysOptions extends Omit<DataApiEntitlementsOptions, 'schema'> {
  /** Default `api_keys`. */
  readonly collection?: string
}

/** What a Data API action answers (plain JSON: ObjectIds as hex text, dates as ISO 8601 text). */
interface ActionResults {
  findOne: { document?: SourceDocument | null }
  find: { documents?: Record<string, unknown>[] }
  aggregate: { documents?: Record<string, unknown>[] }
  insertOne: { insertedId?: unknown }
  updateOne: { matchedCount?: number }
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
  const endpoint = dataApiEndpoint(options)
  const pipelineOf = memberPipeline(schema, (hex) => ({ $oid: hex }))
  return {
    schema,
    name: endpoint.name,
    timeoutMs: endpoint.timeoutMs,
    async findOrganization(stytchOrganizationId, signal) {
      const query = organizationQuery(schema, stytchOrganizationId)
      const { document } = await endpoint.action(
        'findOne',
        schema.collections.organizations,
        query,
        signal
      )
      return document ?? null
    },
    async findMember(lookup, signal) {
      const pipeline = pipelineOf(lookup)
      const { documents } = await endpoint.action(
        'aggregate',
        schema.collections.users,
        { pipeline },
        signal
      )
      return membersOf(documents ?? [])
    },
  }
}

/**
 * An {@link ApiKeyStore} over the Atlas Data API protocol, with `fetch` only: `findOne` and
 * `find` to read, `insertOne` and `updateOne` (`$set`, and `$max` for `last_used_at`) to write,
 * dates sent as EJSON `{ $date }`. Every lookup by id also matches the organization. The
 * collection behind it needs the indexes `mongoApiKeys` documents: unique on `key_hash`, and on
 * `organization_id`.
 *
 * @example
 * ```ts
 * import { dataApiApiKeys } from 'ayz-auth/data-api'
 * const apiKeyStore = dataApiApiKeys({ url: env.DATA_API_URL, apiKey: env.DATA_API_KEY })
 * app.use('/api/*', stytchAuth({ acceptTokens: ['session', 'api_key'], apiKeyStore }))
 * ```
 */
export function dataApiApiKeys(options: DataApiApiKeysOptions): ApiKeyStore {
  const endpoint = dataApiEndpoint(options)
  const collection = options.collection ?? 'api_keys'
  const findOne = async (filter: Record<string, unknown>, signal?: AbortSignal) => {
    const { document } = await endpoint.action('findOne', collection, { filter }, signal)
    return document ? storedApiKeyOf(document) : null
  }
  const idOf = (id: string) => {
    const hex = objectIdHex(id)
    return hex === undefined ? undefined : { $oid: hex }
  }
  return {
    name: endpoint.name,
    timeoutMs: endpoint.timeoutMs,
    async insert(key, signal) {
      const document = apiKeyDocumentOf(key, (hex) => ({ $oid: hex }))
      const { insertedId } = await endpoint.action('insertOne', collection, { document }, signal)
      return storedApiKeyOf({ ...document, _id: insertedId }).record
    },
    findByHash: (keyHash, signal) => findOne({ key_hash: keyHash }, signal),
    async findById(id, organizationId, signal) {
      const _id = idOf(id)
      return _id ? findOne({ _id, organization_id: organizationId }, signal) : null
    },
    async listByOrganization(organizationId, signal) {
      const filter = { organization_id: organizationId }
      const { documents } = await endpoint.action('find', collection, { filter }, signal)
      return newestFirst((documents ?? []).map((document) => storedApiKeyOf(document).record))
    },
    async update(id, organizationId, changes, signal) {
      const _id = idOf(id)
      if (!_id) return false
      const { matchedCount } = await endpoint.action(
        'updateOne',
        collection,
        {
          filter: { _id, organization_id: organizationId },
          update: { $set: apiKeyFieldsOf(changes) },
        },
        signal
      )
      return (matchedCount ?? 0) > 0
    },
    async touchLastUsed(id, at, signal) {
      const _id = idOf(id)
      if (_id)
        await endpoint.action(
          'updateOne',
          collection,
          { filter: { _id }, update: { $max: { last_used_at: at } } },
          signal
        )
    },
  }
}

/** The actions of one Data API endpoint, each one `POST` bounded by the timeout or the caller's signal. */
function dataApiEndpoint(options: Omit<DataApiEntitlementsOptions, 'schema'>) {
  const base = options.url.replace(/\/+$/, '')
  const namespace = {
    dataSource: options.dataSource ?? 'mongodb-atlas',
    database: options.database ?? DEFAULT_DATABASE,
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const action = async <Name extends keyof ActionResults>(
    name: Name,
    collection: string,
    body: Record<string, unknown>,
    signal = AbortSignal.timeout(Math.ceil(timeoutMs))
  ): Promise<ActionResults[Name]> => {
    const response = await fetch(`${base}/action/${name}`, {
      method: 'POST',
      // EJSON in, so ObjectIds and dates keep their type; plain JSON out (ObjectIds as hex strings).
      headers: {
        'content-type': 'application/ejson',
        accept: 'application/json',
        apiKey: options.apiKey,
      },
      body: JSON.stringify({ ...namespace, collection, ...body }, datesAsEjson),
      signal,
    })
    if (!response.ok) throw new Error(`Data API ${name} answered ${response.status}`)
    return (await response.json()) as ActionResults[Name]
  }
  return { action, name: `data api at ${new URL(base).origin}`, timeoutMs }
}

/** A `JSON.stringify` replacer writing each `Date` as EJSON `{ $date }` (its `toJSON` ran already). */
function datesAsEjson(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key]
  return original instanceof Date ? { $date: original.toISOString() } : value
}

registerEntitlementBackend('data-api', (config, schema) => {
  const dataApi = config.dataApi
  if (!dataApi) throw new TypeError('no Data API URL and key configured')
  return dataApiEntitlements({
    url: dataApi.url,
    apiKey: dataApi.apiKey,
    dataSource: dataApi.dataSource,
    ...(dataApi.db ? { database: dataApi.db } : {}),
    ...(schema ? { schema } : {}),
  })
})

registerApiKeyBackend('data-api', (config) => {
  const dataApi = config.dataApi
  if (!dataApi) throw new TypeError('no Data API URL and key configured')
  return dataApiApiKeys({
    url: dataApi.url,
    apiKey: dataApi.apiKey,
    dataSource: dataApi.dataSource,
    ...(dataApi.db ? { database: dataApi.db } : {}),
  })
})
