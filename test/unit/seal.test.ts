import { describe, expect, it } from 'vitest'
import { hmacSealer } from '../../src/cache/seal.ts'

describe('hmacSealer', () => {
  const sealer = hmacSealer('secret-test-one')

  it('opens what it sealed, for the same key only', async () => {
    const sealed = await sealer.seal('ayz_auth:session:aa', '{"memberId":"m"}')
    expect(await sealer.open('ayz_auth:session:aa', sealed)).toBe('{"memberId":"m"}')
    expect(await sealer.open('ayz_auth:session:bb', sealed)).toBeUndefined()
    expect(await sealer.open('other:session:aa', sealed)).toBeUndefined()
  })

  it('rejects an altered payload, an altered tag, another secret, and garbage', async () => {
    const sealed = await sealer.seal('k', '{"memberId":"m"}')
    expect(await sealer.open('k', sealed.replace('"m"', '"x"'))).toBeUndefined()
    expect(await sealer.open('k', `v1.${'A'.repeat(43)}.{"memberId":"m"}`)).toBeUndefined()
    // A tag off by its last character, or one character short or long, is not the tag.
    const [, tag = '', payload = ''] = sealed.split('.')
    const last = tag.at(-1) === 'A' ? 'B' : 'A'
    for (const altered of [`${tag.slice(0, -1)}${last}`, tag.slice(0, -1), `${tag}A`])
      expect(await sealer.open('k', `v1.${altered}.${payload}`)).toBeUndefined()
    expect(await hmacSealer('secret-test-two').open('k', sealed)).toBeUndefined()
    for (const garbage of ['', 'v1', 'v1.', 'v2.abc.{}', '{"memberId":"m"}', 'v1.%%%.{}']) {
      expect(await sealer.open('k', garbage)).toBeUndefined()
    }
  })

  it('produces the same seal on every runtime: node:crypto and WebCrypto agree', async () => {
    const secret = 'secret-test-one'
    const derived = new Uint8Array(
      await crypto.subtle.sign(
        'HMAC',
        await crypto.subtle.importKey(
          'raw',
          new TextEncoder().encode(secret),
          { name: 'HMAC', hash: 'SHA-256' },
          false,
          ['sign']
        ),
        new TextEncoder().encode('ayz-auth:cache-seal:v1')
      )
    )
    const key = await crypto.subtle.importKey(
      'raw',
      derived,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign']
    )
    const tag = Buffer.from(
      await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('k\npayload'))
    ).toString('base64url')
    expect(await sealer.seal('k', 'payload')).toBe(`v1.${tag}.payload`)
  })
})
