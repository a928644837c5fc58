import { ClientAddressResolver, parseProxyEntry } from './client-address';

describe('ClientAddressResolver', () => {
  it('believes nothing without trusted proxies: the socket peer is the client', () => {
    const r = new ClientAddressResolver([]);
    expect(r.resolve('::ffff:203.0.113.7', '1.2.3.4')).toBe('203.0.113.7');
    expect(r.resolve('127.0.0.1', '1.2.3.4')).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For from the right past trusted proxies, only when the peer is one', () => {
    const r = new ClientAddressResolver(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    // A direct client forging the header is not believed.
    expect(r.resolve('203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
    // One proxy: the entry it appended.
    expect(r.resolve('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.9')).toBe('198.51.100.9');
    // Two proxies (edge 10.1.2.3 in front of the local nginx): skip the trusted hop.
    expect(r.resolve('127.0.0.1', ['6.6.6.6, 198.51.100.9', '10.1.2.3'])).toBe('198.51.100.9');
    // IPv6 hops, with brackets and ports as some proxies write them.
    expect(r.resolve('fd00::5', '[2001:db8::1]:4431, fd00::7')).toBe('2001:db8::1');
    expect(r.resolve('127.0.0.1', '198.51.100.9:5000')).toBe('198.51.100.9');
    // Garbage stops the walk at the last hop we can name.
    expect(r.resolve('127.0.0.1', '198.51.100.9, bogus, 10.0.0.2')).toBe('10.0.0.2');
    // No header, or all trusted: as far as we can see.
    expect(r.resolve('127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(r.resolve('127.0.0.1', '10.0.0.1')).toBe('10.0.0.1');
    expect(r.isTrusted('11.0.0.1')).toBe(false);
  });

  it('parses addresses and CIDR ranges, refusing anything else', () => {
    expect(parseProxyEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseProxyEntry('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', '::/129', 'localhost', '1.2.3.4/8/1', '1.2.3.4/x', '']) expect(parseProxyEntry(bad)).toBeUndefined();
    expect(() => new ClientAddressResolver(['nope'])).toThrow(/nope/);
  });
});
