/**
 * @module
 * Duplicate member names in JSON text. `JSON.parse` keeps the last of two equal names, and parsers
 * in other languages may keep the first: a token whose header or claims name a member twice means
 * different things to different readers, so it is refused (RFC 7515 §5.2, RFC 7519 §4).
 */

/**
 * The first member name that appears twice in one object of `json`, compared after unescaping
 * (`"aud"` and `"\u0061ud"` are the same name), or `undefined` when there is none. Meant for text
 * `JSON.parse` accepts; for other text the answer says nothing.
 *
 * @example
 * ```ts
 * firstDuplicateMember('{"sub":"a","aud":"x","aud":"y"}') // 'aud'
 * firstDuplicateMember('{"a":{"b":1},"b":2}') // undefined
 * ```
 */
export function firstDuplicateMember(json: string): string | undefined {
  // One entry per open object (its names so far) or array (`undefined`), innermost last.
  const open: Array<Set<string> | undefined> = []
  let expectingName = false
  for (let index = 0; index < json.length; index++) {
    const char = json[index]
    if (char === '"') {
      const end = endOfString(json, index)
      const names = open.at(-1)
      if (expectingName && names !== undefined) {
        const name = JSON.parse(json.slice(index, end + 1)) as string
        if (names.has(name)) return name
        names.add(name)
        expectingName = false
      }
      index = end
    } else if (char === '{') {
      open.push(new Set())
      expectingName = true
    } else if (char === '[') {
      open.push(undefined)
      expectingName = false
    } else if (char === '}' || char === ']') {
      open.pop()
      expectingName = false
    } else if (char === ',') {
      expectingName = open.at(-1) !== undefined
    }
  }
  return undefined
}

/** The index of the quote that closes the string opening at `start`. */
function endOfString(json: string, start: number): number {
  let index = start + 1
  while (index < json.length && json[index] !== '"') index += json[index] === '\\' ? 2 : 1
  return index
}
