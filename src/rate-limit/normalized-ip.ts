/** An IPv4 address in dotted decimal, each part 0–255 without leading zeros. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/** Bits of an IPv6 address that name one client: a /56, what an ISP hands one customer. */
const IPV6_PREFIX_GROUPS = 3.5

/**
 * The client a rate limit counts, from an address as a connection or a proxy reports it: the
 * port stripped (`203.0.113.7:51234`, `[2001:db8::1]:443`), an IPv4-mapped IPv6 address read as
 * the IPv4 address (`::ffff:203.0.113.7`), an IPv6 address masked to its /56 (one customer's
 * prefix: a client holding a whole /64 cannot multiply its budget by changing addresses), a zone
 * (`%eth0`) dropped. Anything else (a hostname, `unknown`, an empty string) is no address:
 * `undefined`.
 *
 * @example
 * ```ts
 * normalizedIp('::ffff:203.0.113.7') // '203.0.113.7'
 * normalizedIp('[2001:db8:aa:bbcc:1:2:3:4]:443') // '2001:db8:aa:bb00::/56'
 * normalizedIp('unknown') // undefined
 * ```
 */
export function normalizedIp(address: string): string | undefined {
  let text = address.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text)
  if (bracketed) text = bracketed[1] ?? ''
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'))
  if (IPV4.test(text)) return text
  const groups = ipv6Groups(text.replace(/%.*$/, ''))
  if (!groups) return undefined
  const [a, b, c, d, e, f, g = 0, h = 0] = groups
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff)
    return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`
  const kept = groups.slice(0, Math.ceil(IPV6_PREFIX_GROUPS))
  kept[kept.length - 1] = (kept[kept.length - 1] ?? 0) & 0xff00
  return `${kept.map((group) => group.toString(16)).join(':')}::/56`
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing IPv4 part read), or `undefined`. */
function ipv6Groups(text: string): number[] | undefined {
  if (!text.includes(':')) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const [first = '', second] = halves
  const head = wordsOf(first, second === undefined)
  const tail = second === undefined ? [] : wordsOf(second, true)
  if (!head || !tail) return undefined
  if (second === undefined) return head.length === 8 ? head : undefined
  const missing = 8 - head.length - tail.length
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail] : undefined
}

/** The 16-bit words of a colon-separated run of groups; at its end (`last`), an IPv4 part is two. */
function wordsOf(run: string, last: boolean): number[] | undefined {
  if (run === '') return []
  const parts = run.split(':')
  const words: number[] = []
  for (const [index, part] of parts.entries()) {
    if (last && index === parts.length - 1 && IPV4.test(part)) {
      const [p = 0, q = 0, r = 0, s = 0] = part.split('.').map(Number)
      words.push((p << 8) | q, (r << 8) | s)
    } else if (/^[\da-f]{1,4}$/i.test(part)) words.push(parseInt(part, 16))
    else return undefined
  }
  return words
}
