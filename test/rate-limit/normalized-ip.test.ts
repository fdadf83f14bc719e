import { describe, expect, it } from 'vitest'
import { normalizedIp } from '../../src/rate-limit/normalized-ip.ts'

describe('the client a rate limit counts, from an address', () => {
  it('strips ports, reads IPv4-mapped IPv6 as IPv4, and masks IPv6 to its /56', () => {
    expect(
      [
        '203.0.113.7',
        '203.0.113.7:51234',
        '::ffff:203.0.113.7',
        '[::ffff:203.0.113.7]:443',
        '::ffff:cb00:7107',
        ' 203.0.113.7 ',
      ].map(normalizedIp)
    ).toEqual(Array(6).fill('203.0.113.7'))
    expect(
      [
        '2001:db8:aa:bbcc:1:2:3:4',
        '[2001:db8:aa:bbff::1]:443',
        '2001:0db8:00aa:bb00::',
        '2001:db8:aa:bb01:1:2:1.2.3.4',
        'fe80::1%eth0',
      ].map(normalizedIp)
    ).toEqual([
      '2001:db8:aa:bb00::/56',
      '2001:db8:aa:bb00::/56',
      '2001:db8:aa:bb00::/56',
      '2001:db8:aa:bb00::/56',
      'fe80:0:0:0::/56',
    ])
  })

  it('is no address for anything else: never a shared bucket for garbage', () => {
    for (const garbage of [
      '',
      'unknown',
      '01.2.3.4',
      '256.1.1.1',
      '1.2.3',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'abcd',
      '_hidden',
      ':::',
    ])
      expect(normalizedIp(garbage)).toBeUndefined()
  })
})
