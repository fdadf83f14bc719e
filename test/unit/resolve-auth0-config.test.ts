/**
 * The settings of `auth0Auth()` from options and variables: where the issuer and keys are, the
 * audience, the algorithms, which wins, and what is refused (with the variable named).
 */
import { describe, expect, it } from 'vitest'
import { parseAuth0Options, resolveAuth0Config } from '../../src/config/resolve-auth0-config.ts'
import { ConfigurationError } from '../../src/errors/auth-error.ts'

const resolve = (options: Parameters<typeof parseAuth0Options>[0], vars: Record<string, string>) =>
  resolveAuth0Config(parseAuth0Options(options).auth0, vars)

describe('the tenant', () => {
  it('is https://{domain}/ with its JWKS, however the domain is written', () => {
    for (const domain of [
      'tenant.auth0.com',
      'https://tenant.auth0.com/',
      ' tenant.auth0.com// ',
    ]) {
      expect(resolve({}, { AUTH0_DOMAIN: domain, AUTH0_API_AUDIENCE: 'https://api' })).toEqual({
        issuer: 'https://tenant.auth0.com/',
        jwksUrl: 'https://tenant.auth0.com/.well-known/jwks.json',
        audience: 'https://api',
        algorithms: ['RS256'],
        secret: undefined,
      })
    }
  })

  it('is {baseUrl}/ with a base URL (the emulator), which wins over the domain', () => {
    expect(
      resolve(
        {},
        {
          AUTH0_DOMAIN: '127.0.0.1:4020',
          AUTH0_BASE_URL: 'http://127.0.0.1:4020/',
          AUTH0_API_AUDIENCE: 'a',
        }
      )
    ).toMatchObject({
      issuer: 'http://127.0.0.1:4020/',
      jwksUrl: 'http://127.0.0.1:4020/.well-known/jwks.json',
    })
  })

  it('takes options over variables, and an explicit issuer as it is', () => {
    expect(
      resolve(
        {
          domain: 'login.example.com',
          audience: 'https://mine',
          algorithms: ['PS256'],
          issuer: 'https://login.example.com/tenant/',
          secret: 's',
        },
        {
          AUTH0_DOMAIN: 'tenant.auth0.com',
          AUTH0_API_AUDIENCE: 'https://theirs',
          AUTH0_ALGORITHMS: 'HS256',
          AUTH0_CACHE_SECRET: 'other',
        }
      )
    ).toEqual({
      issuer: 'https://login.example.com/tenant/',
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
      audience: 'https://mine',
      algorithms: ['PS256'],
      secret: 's',
    })
  })
})

describe('the variables', () => {
  const base = { AUTH0_DOMAIN: 'tenant.auth0.com', AUTH0_API_AUDIENCE: 'https://api' }

  it('read AUTH0_ALGORITHMS as a list separated by commas or spaces', () => {
    expect(resolve({}, { ...base, AUTH0_ALGORITHMS: 'RS256, PS256 ES256' }).algorithms).toEqual([
      'RS256',
      'PS256',
      'ES256',
    ])
  })

  it('are refused with their names, never with a secret value', () => {
    const refusals: [Record<string, string>, RegExp][] = [
      [{ AUTH0_API_AUDIENCE: 'a' }, /AUTH0_DOMAIN is not set/],
      [{ AUTH0_DOMAIN: 'tenant.auth0.com' }, /AUTH0_API_AUDIENCE is not set/],
      [{ ...base, AUTH0_ALGORITHMS: 'HS256' }, /AUTH0_ALGORITHMS must list asymmetric/],
      [{ ...base, AUTH0_ALGORITHMS: 'none' }, /AUTH0_ALGORITHMS/],
      [{ ...base, AUTH0_ALGORITHMS: ' , ' }, /AUTH0_ALGORITHMS/],
      [{ ...base, AUTH0_BASE_URL: 'http://10.0.0.1:4020' }, /AUTH0_BASE_URL must be https/],
      [{ ...base, AUTH0_DOMAIN: 'http://127.0.0.1:4020' }, /AUTH0_DOMAIN .*AUTH0_BASE_URL/],
    ]
    for (const [vars, message] of refusals) {
      expect(() => resolve({}, vars)).toThrow(ConfigurationError)
      expect(() => resolve({}, vars)).toThrow(message)
    }
  })
})
