/**
 * `key` as a Redis Cluster keeps it in one slot with its companions: its part after the last `:`
 * (the identity's digest) becomes the hash tag, so `ayz:rl:default:3f2a9c` is stored as
 * `ayz:rl:default:{3f2a9c}`, in the slot of `3f2a9c`, where any other key of that identity
 * (`ayz:rl:default:{3f2a9c}:prev`) would go too. A key that already has a hash tag (a non-empty
 * `{…}`, by Redis's rule: from the first `{` to the next `}`) is kept as it is; one ending in `:`
 * is wrapped whole.
 *
 * @example
 * ```ts
 * hashTagged('ayz:rl:default:3f2a9c') // 'ayz:rl:default:{3f2a9c}'
 * hashTagged('3f2a9c') // '{3f2a9c}'
 * hashTagged('rl:{org_1}:w') // 'rl:{org_1}:w' (tagged already)
 * ```
 */
export function hashTagged(key: string): string {
  if (/^[^{]*\{[^}]+\}/.test(key)) return key
  const tail = key.slice(key.lastIndexOf(':') + 1)
  return tail ? `${key.slice(0, key.length - tail.length)}{${tail}}` : `{${key}}`
}
