/**
 * The README's configuration table and the code agree: every option of `StytchAuthOptions` and
 * `Auth0AuthOptions` and every environment variable the library reads (`stytchAuth()`'s and
 * `auth0Auth()`'s) has its row, and the table names nothing else.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const readme = read('README.md')
const table = /<!-- config:start -->([\s\S]*?)<!-- config:end -->/.exec(readme)?.[1] ?? ''
/** The backquoted names in the table's first two columns. */
const documented = new Set(
  table
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .flatMap(
      (line) =>
        line
          .split('|')
          .slice(1, 3)
          .join(' ')
          .match(/`[A-Za-z0-9_]+`/g) ?? []
    )
    .map((name) => name.slice(1, -1))
)

describe("the README's configuration table", () => {
  it('has a row for every option of stytchAuth() and auth0Auth()', () => {
    const optionsOf = (path: string) =>
      [...read(path).matchAll(/^ {2}readonly (\w+)\?:/gm)].map((match) => match[1])
    const options = optionsOf('src/config/stytch-auth-options.ts')
    const auth0Options = optionsOf('src/config/auth0-auth-options.ts')
    expect(options.length).toBeGreaterThan(25)
    expect(auth0Options.length).toBeGreaterThan(5)
    expect([...options, ...auth0Options].filter((option) => !documented.has(option!))).toEqual([])
  })

  it('has a row for every environment variable the library reads, and no other', () => {
    const variables = [
      'src/config/resolve-config.ts',
      'src/config/resolve-auth0-config.ts',
    ].flatMap((path) =>
      [...read(path).matchAll(/^ {2}([A-Z][A-Z0-9_]+): \{\s*schema/gm)].map((match) => match[1]!)
    )
    expect(variables.length).toBeGreaterThan(25)
    expect(variables).toContain('AUTH0_DOMAIN')
    expect(variables.filter((variable) => !documented.has(variable))).toEqual([])
    const documentedVariables = [...documented].filter((name) => /^[A-Z][A-Z0-9_]+$/.test(name))
    expect(documentedVariables.filter((name) => !variables.includes(name))).toEqual([])
  })
})
