/**
 * A context's own fields as JSON, times as ISO 8601 strings (what `c.json(c.var.auth)` sends).
 *
 * @example
 * ```ts
 * toJSON() { return jsonOf(this) }
 * ```
 */
export function jsonOf(context: object): Record<string, unknown> {
  const json: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(context))
    json[field] = value instanceof Date ? value.toISOString() : value
  return json
}
