/**
 * @module
 * How entitlement records are stored in a shared cache, validated on the way back (a corrupt
 * entry is a miss).
 */
import * as v from 'valibot'
import type { Codec } from '../cache/tiered-cache.ts'
import type { MemberRecord, OrganizationRecord } from './documents.ts'

const Id = v.pipe(v.string(), v.regex(/^[0-9a-f]{24}$/))

const Organization = v.nullable(
  v.object({
    id: Id,
    subscriptionTier: v.nullable(v.string()),
    entitlements: v.array(v.string()),
    subscriptionLimits: v.record(v.string(), v.pipe(v.number(), v.safeInteger())),
  })
)

const Member = v.nullable(
  v.object({
    userId: Id,
    team: v.nullable(
      v.object({ id: Id, name: v.nullable(v.string()), organizationId: v.nullable(Id) })
    ),
  })
)

/** Builds a codec from a valibot schema: values are stored as they are, checked on read. */
function schemaCodec<T>(schema: v.GenericSchema<unknown, T>): Codec<T> {
  return {
    encode: (value) => value,
    decode: (data) => {
      const parsed = v.safeParse(schema, data)
      return parsed.success ? parsed.output : undefined
    },
  }
}

/**
 * Organization records (`null`: the source has no such organization).
 *
 * @example
 * ```ts
 * organizationCodec.decode({ id: '507f…', subscriptionTier: 'pro', entitlements: [], subscriptionLimits: {} })
 * ```
 */
export const organizationCodec: Codec<OrganizationRecord | null> = schemaCodec(Organization)

/**
 * Member records: a user id and current team (`null`: no such user).
 *
 * @example
 * ```ts
 * memberCodec.decode({ userId: '507f…', team: null })
 * ```
 */
export const memberCodec: Codec<MemberRecord | null> = schemaCodec(Member)

/**
 * User ids (24 hex digits).
 *
 * @example
 * ```ts
 * userIdCodec.decode('507f1f77bcf86cd799439011')
 * ```
 */
export const userIdCodec: Codec<string> = schemaCodec(Id)
