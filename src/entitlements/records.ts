/**
 * @module
 * The records the library keeps of an organization and a member, as valibot schemas (which also
 * validate them on the way back from a shared cache), and how they are read from source documents:
 * each field is checked on its own, so a malformed field is reported and read as absent, and one
 * bad value never crashes a request or hides the rest of the document.
 */
import * as v from 'valibot'
import type { EntitlementSchema, SourceDocument } from './entitlement-source.ts'

const HEX_ID = /^[0-9a-f]{24}$/i
const Id = v.pipe(v.string(), v.regex(/^[0-9a-f]{24}$/))
const Entitlements = v.array(v.string())
const Limits = v.record(v.string(), v.pipe(v.number(), v.safeInteger()))
const Text = v.string()

/** An organization's subscription (`null`: the source has no such organization). */
export const OrganizationRecordSchema = v.nullable(
  v.object({
    /** The document's `_id` as 24 hex digits. */
    id: Id,
    subscriptionTier: v.nullable(Text),
    entitlements: Entitlements,
    subscriptionLimits: Limits,
  })
)
/** An organization's subscription, as the library uses it. */
export type OrganizationRecord = NonNullable<v.InferOutput<typeof OrganizationRecordSchema>>

/** A user and their current team (`null`: the source has no such user). */
export const MemberRecordSchema = v.nullable(
  v.object({
    userId: Id,
    team: v.nullable(v.object({ id: Id, name: v.nullable(Text), organizationId: v.nullable(Id) })),
  })
)
/** A user and their current team, as the library uses them. */
export type MemberRecord = NonNullable<v.InferOutput<typeof MemberRecordSchema>>

/** A user document's `_id` (24 hex digits), cached by Stytch member id. */
export const UserIdSchema = Id

/** Where a malformed field is reported. */
export type ReportProblem = (problem: string) => void

/**
 * An ObjectId as 24 lowercase hex digits, from a driver `ObjectId`, an EJSON `{ $oid }` or a
 * string; `undefined` for anything else.
 *
 * @example
 * ```ts
 * objectIdHex(new ObjectId('507f1f77bcf86cd799439011')) // '507f1f77bcf86cd799439011'
 * objectIdHex({ $oid: '507f1f77bcf86cd799439011' })     // '507f1f77bcf86cd799439011'
 * ```
 */
export function objectIdHex(value: unknown): string | undefined {
  let hex: unknown = value
  if (typeof value === 'object' && value !== null) {
    const candidate = value as { toHexString?: unknown; $oid?: unknown }
    hex =
      typeof candidate.toHexString === 'function'
        ? (candidate.toHexString as () => unknown)()
        : candidate.$oid
  }
  return typeof hex === 'string' && HEX_ID.test(hex) ? hex.toLowerCase() : undefined
}

/**
 * The organization record of a document, or `undefined` when its `_id` is unusable.
 *
 * @example
 * ```ts
 * organizationRecord(doc, DEFAULT_SCHEMA, console.warn)?.entitlements // ['foresight']
 * ```
 */
export function organizationRecord(
  doc: SourceDocument,
  schema: EntitlementSchema,
  report: ReportProblem
): OrganizationRecord | undefined {
  const { fields } = schema
  const id = objectIdHex(doc['_id'])
  if (id === undefined) {
    report(`organization document has no usable _id`)
    return undefined
  }
  const field = <T>(name: string, check: v.GenericSchema<unknown, T>, fallback: T): T =>
    checked(doc[name], check, fallback, () =>
      report(`organization ${id}: field ${name} is malformed`)
    )
  return {
    id,
    subscriptionTier: field(fields.subscriptionTier, v.nullable(Text), null),
    entitlements: field(fields.entitlements, Entitlements, []),
    subscriptionLimits: field(fields.subscriptionLimits, Limits, {}),
  }
}

/**
 * The member record of a user document and its team document, or `undefined` when the user's
 * `_id` is unusable.
 *
 * @example
 * ```ts
 * memberRecord(user, team, DEFAULT_SCHEMA, console.warn)?.team?.name // 'Engineering'
 * ```
 */
export function memberRecord(
  user: SourceDocument,
  team: SourceDocument | null,
  schema: EntitlementSchema,
  report: ReportProblem
): MemberRecord | undefined {
  const userId = objectIdHex(user['_id'])
  if (userId === undefined) {
    report('user document has no usable _id')
    return undefined
  }
  // A team found was joined by the user's current team id: that id is well formed.
  const currentTeam = user[schema.fields.currentTeamId]
  if (!team && currentTeam != null && objectIdHex(currentTeam) === undefined) {
    report(`user ${userId}: field ${schema.fields.currentTeamId} is malformed`)
  }
  const teamId = team ? objectIdHex(team['_id']) : undefined
  if (team && teamId === undefined) report(`user ${userId}: current team has no usable _id`)
  if (!team || teamId === undefined) return { userId, team: null }
  const { teamName, teamOrganizationId } = schema.fields
  const name = checked(team[teamName], Text, null, () =>
    report(`team ${teamId}: field ${teamName} is malformed`)
  )
  const organizationId = objectIdHex(team[teamOrganizationId]) ?? null
  if (organizationId === null)
    report(`team ${teamId}: field ${teamOrganizationId} is missing or malformed`)
  return { userId, team: { id: teamId, name, organizationId } }
}

function checked<T>(
  value: unknown,
  schema: v.GenericSchema<unknown, T>,
  fallback: T,
  onMalformed: () => void
): T {
  if (value === undefined) return fallback
  const parsed = v.safeParse(schema, value)
  if (parsed.success) return parsed.output
  onMalformed()
  return fallback
}
