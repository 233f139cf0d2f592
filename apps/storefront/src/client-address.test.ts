import { describe, expect, it } from 'vitest';
import {
  addressLimitKey,
  createClientAddressResolver,
  normalizeAddress,
  parseTrustedProxies,
  readRemoteAddress,
  UNKNOWN_ADDRESS,
} from './client-address.js';

describe('normalizeAddress', () => {
  it('drops ports, brackets and zones, and writes IPv4-mapped IPv6 as IPv4', () => {
    expect(normalizeAddress(' 203.0.113.9 ')).toBe('203.0.113.9');
    expect(normalizeAddress('203.0.113.9:4431')).toBe('203.0.113.9');
    expect(normalizeAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeAddress('[::ffff:cb00:7109]:443')).toBe('203.0.113.9');
    expect(normalizeAddress('[2001:DB8:0:0:0:0:0:1]:8080')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });

  it('refuses anything that is not an IP address', () => {
    for (const text of ['', 'unknown', 'example.com', '1.2.3', '1.2.3.4.5', '::g', '<script>']) {
      expect(normalizeAddress(text)).toBeNull();
    }
  });
});

describe('addressLimitKey', () => {
  it('counts IPv4 by address and IPv6 by /64 network', () => {
    expect(addressLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressLimitKey('2001:db8:1:2::a')).toBe(addressLimitKey('2001:db8:1:2:ffff::b'));
    expect(addressLimitKey('2001:db8:1:2::a')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:db8:1:3::a')).not.toBe(addressLimitKey('2001:db8:1:2::a'));
  });
});

describe('parseTrustedProxies', () => {
  it('reads addresses and CIDR networks separated by commas or spaces', () => {
    expect(parseTrustedProxies('10.0.0.0/8, 192.0.2.7  fd00::/8')).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    expect(parseTrustedProxies('')).toEqual([]);
  });

  it('names the entry it cannot read', () => {
    expect(() => parseTrustedProxies('10.0.0.0/8, proxy.internal')).toThrow(/"proxy\.internal"/);
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/at most 32/);
    expect(() => parseTrustedProxies('10.0.0.0/x')).toThrow(/prefix/);
    expect(() => parseTrustedProxies('10.0.0.1:80')).toThrow(/"10\.0\.0\.1:80"/);
  });
});

describe('createClientAddressResolver', () => {
  it('without trusted proxies, is the peer whatever X-Forwarded-For says', () => {
    const resolve = createClientAddressResolver([]);
    expect(resolve('198.51.100.7', '203.0.113.1')).toBe('198.51.100.7');
    expect(resolve('::ffff:198.51.100.7', null)).toBe('198.51.100.7');
    expect(resolve(undefined, '203.0.113.1')).toBe(UNKNOWN_ADDRESS);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const resolve = createClientAddressResolver(parseTrustedProxies('10.0.0.0/8'));
    expect(resolve('198.51.100.7', '203.0.113.1')).toBe('198.51.100.7');
  });

  it('from a trusted proxy, takes the right-most address that is not a trusted proxy', () => {
    const resolve = createClientAddressResolver(parseTrustedProxies('10.0.0.0/8'));
    // The client sent a made-up first entry; the proxies appended the real one and themselves.
    expect(resolve('10.0.0.2', '1.1.1.1, 203.0.113.9, 10.0.0.5')).toBe('203.0.113.9');
    expect(resolve('10.0.0.2', '203.0.113.9')).toBe('203.0.113.9');
    expect(resolve('10.0.0.2', '[2001:db8::5]:1234')).toBe('2001:db8::5');
  });

  it('stops at a malformed entry, at the last trusted hop, so the client cannot choose the key', () => {
    const resolve = createClientAddressResolver(parseTrustedProxies('10.0.0.0/8'));
    expect(resolve('10.0.0.2', '203.0.113.9, garbage')).toBe('10.0.0.2');
    expect(resolve('10.0.0.2', '203.0.113.9, garbage, 10.0.0.5')).toBe('10.0.0.5');
    expect(resolve('10.0.0.2', null)).toBe('10.0.0.2');
    expect(resolve('10.0.0.2', '')).toBe('10.0.0.2');
  });

  it('is the left-most address when every hop is a trusted proxy', () => {
    const resolve = createClientAddressResolver(parseTrustedProxies('10.0.0.0/8'));
    expect(resolve('10.0.0.2', '10.9.9.9, 10.0.0.5')).toBe('10.9.9.9');
  });
});

describe('readRemoteAddress', () => {
  it('reads the peer from the Hono env, and nothing from anything else', () => {
    expect(readRemoteAddress({ remoteAddress: '198.51.100.7' })).toBe('198.51.100.7');
    expect(readRemoteAddress({})).toBeUndefined();
    expect(readRemoteAddress(undefined)).toBeUndefined();
    expect(readRemoteAddress({ remoteAddress: 7 })).toBeUndefined();
  });
});
