import { ObjectId } from 'bson'
import { describe, expect, it } from 'vitest'
import {
  apiKeyUsability,
  storedApiKeyOf,
  storableApiKey,
} from '../../src/api-keys/api-key-record.ts'
import { generateApiKey } from '../../src/api-keys/api-key-format.ts'

const now = new Date('2026-03-01T12:00:00.000Z')
const minutes = (count: number) => new Date(now.getTime() + count * 60_000)
const id = new ObjectId()
const replaced = new ObjectId()
const stored = {
  _id: id,
  key_hash: 'a'.repeat(64),
  start: 'ak_live_AbC1',
  organization_id: 'organization-test-1',
  created_by: 'member-test-1',
  name: 'CI',
  scopes: ['read:reports'],
  created_at: minutes(-60),
  expires_at: minutes(60),
  revoked_at: null,
  last_used_at: minutes(-1),
  replaces: replaced,
  grace_until: null,
}
const record = {
  id: id.toHexString(),
  start: 'ak_live_AbC1',
  organizationId: 'organization-test-1',
  createdBy: 'member-test-1',
  name: 'CI',
  scopes: ['read:reports'],
  createdAt: minutes(-60),
  expiresAt: minutes(60),
  revokedAt: null,
  lastUsedAt: minutes(-1),
  replaces: replaced.toHexString(),
  graceUntil: null,
}

describe('storedApiKeyOf', () => {
  it('reads a driver document (ObjectIds, Dates) into the hash and a record without it', () => {
    const read = storedApiKeyOf(stored)
    expect(read).toEqual({ keyHash: 'a'.repeat(64), record })
    expect(JSON.stringify(read.record)).not.toContain('a'.repeat(64))
  })

  it('reads the same document as JSON answers it (hex ids, ISO dates) or EJSON ids', () => {
    expect(storedApiKeyOf(JSON.parse(JSON.stringify(stored))).record).toEqual(record)
    expect(
      storedApiKeyOf({ ...stored, _id: { $oid: id.toHexString() }, replaces: null }).record
    ).toEqual({ ...record, replaces: null })
  })

  it('reads absent optional fields as null', () => {
    const { expires_at, revoked_at, last_used_at, replaces, grace_until, ...required } = stored
    expect(storedApiKeyOf(required).record).toMatchObject({
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      replaces: null,
      graceUntil: null,
    })
  })

  it('refuses a damaged document, naming its id and fields but none of their values', () => {
    const damaged = {
      ...stored,
      key_hash: 'ak_live_leaked',
      scopes: 'everything',
      created_at: 'soon',
    }
    expect(() => storedApiKeyOf(damaged)).toThrow(
      new TypeError(
        `api_keys document ${id.toHexString()} is malformed: key_hash, scopes, created_at`
      )
    )
    expect(() => storedApiKeyOf(null)).toThrow(/without a usable _id is malformed/)
  })
})

describe('storableApiKey', () => {
  it('keeps the hash and the first 12 characters of the key, never the key', async () => {
    const key = generateApiKey('live')
    const details = {
      organizationId: 'organization-test-1',
      createdBy: 'member-test-1',
      name: 'CI',
      scopes: [],
      expiresAt: null,
      replaces: null,
    }
    const storable = await storableApiKey(key, details, now)
    expect(storable).toEqual({
      ...details,
      keyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      start: key.slice(0, 12),
      createdAt: now,
    })
    expect(JSON.stringify(storable)).not.toContain(key.slice(12, 20))
  })
})

describe('apiKeyUsability', () => {
  const key = { revokedAt: null, expiresAt: null, graceUntil: null }

  it('lets a live key through until the earliest of its expiry and its grace end', () => {
    expect(apiKeyUsability(key, now)).toEqual({ usable: true, until: null })
    expect(apiKeyUsability({ ...key, expiresAt: minutes(5) }, now)).toEqual({
      usable: true,
      until: minutes(5),
    })
    expect(apiKeyUsability({ ...key, expiresAt: minutes(5), graceUntil: minutes(2) }, now)).toEqual(
      { usable: true, until: minutes(2) }
    )
    expect(apiKeyUsability({ ...key, expiresAt: minutes(1), graceUntil: minutes(2) }, now)).toEqual(
      { usable: true, until: minutes(1) }
    )
  })

  it('refuses a revoked, expired or rotated-out key, from the instant it ends', () => {
    expect(apiKeyUsability({ ...key, revokedAt: minutes(1), expiresAt: minutes(9) }, now)).toEqual({
      usable: false,
      reason: 'revoked',
    })
    expect(apiKeyUsability({ ...key, expiresAt: now }, now)).toEqual({
      usable: false,
      reason: 'expired',
    })
    expect(apiKeyUsability({ ...key, graceUntil: now }, now)).toEqual({
      usable: false,
      reason: 'rotated',
    })
    expect(
      apiKeyUsability({ ...key, graceUntil: minutes(-1), expiresAt: minutes(-2) }, now)
    ).toEqual({
      usable: false,
      reason: 'expired',
    })
  })
})
