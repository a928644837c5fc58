import net from 'node:net';

/** "::ffff:1.2.3.4" → "1.2.3.4"; anything else as is. */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

/**
 * Addresses that stand for many people, never one: loopback (a reverse proxy
 * on the same host), private and carrier-grade NAT ranges (a proxy in Docker,
 * a LAN, a mobile carrier), link-local. Banning one of them would ban everyone
 * behind it, so bans by address skip them (the ban by identity still holds).
 */
export function isSharedAddress(address: string): boolean {
  const a = normalizeAddress(address);
  if (net.isIPv4(a)) {
    const [x, y] = a.split('.').map(Number);
    return (
      x === 0 ||
      x === 127 ||
      x === 10 ||
      (x === 172 && y >= 16 && y <= 31) ||
      (x === 192 && y === 168) ||
      (x === 169 && y === 254) ||
      (x === 100 && y >= 64 && y <= 127)
    );
  }
  if (net.isIPv6(a)) {
    const v = a.toLowerCase();
    return v === '::1' || v === '::' || /^f[cd]/.test(v) || /^fe[89ab]/.test(v);
  }
  return true; // not an IP address at all: nothing to ban
}

/** The rule an `http.trustedProxies` entry follows, for the config schema's message. */
export const PROXY_ENTRY_RULE = 'an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 or fd00::/8';

/** Parses "1.2.3.4", "::1", "10.0.0.0/8", "fd00::/8"; undefined when it is none of those. */
export function parseProxyEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [raw, bits, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  const address = normalizeAddress(raw);
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** At most this many X-Forwarded-For entries are looked at (from the right): a longer chain is a forgery or a loop. */
const MAX_HOPS = 32;

/** One X-Forwarded-For entry as an address: brackets and a port (which some proxies add) taken off; undefined if it is no address. */
function entryAddress(entry: string): string | undefined {
  let e = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(e);
  if (bracketed) e = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(e)) e = e.slice(0, e.lastIndexOf(':'));
  e = normalizeAddress(e);
  return net.isIP(e) ? e : undefined;
}

/**
 * Who a request comes from. The socket peer, unless the peer is one of the
 * trusted proxies (`http.trustedProxies`): then X-Forwarded-For is walked from
 * the right (each proxy appends the address it received the request from),
 * skipping entries that are trusted proxies themselves, and the first one that
 * is not is the client. A client that writes its own X-Forwarded-For without
 * going through a trusted proxy gets its socket address: nothing it sent is
 * believed. With no trusted proxies (the default) the header is never read.
 */
export class ClientAddressResolver {
  private readonly trusted = new net.BlockList();
  private readonly any: boolean;

  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) {
      const parsed = parseProxyEntry(entry);
      if (!parsed) throw new RangeError(`not ${PROXY_ENTRY_RULE}: '${entry}'`);
      this.trusted.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.any = trustedProxies.length > 0;
  }

  isTrusted(address: string): boolean {
    if (!this.any) return false;
    const a = normalizeAddress(address);
    const family = net.isIP(a);
    return family !== 0 && this.trusted.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client address for a connection from `peer` carrying `forwardedFor` (the X-Forwarded-For header(s), as Node gives them). */
  resolve(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let client = normalizeAddress(peer ?? '');
    if (!this.isTrusted(client) || forwardedFor === undefined) return client;
    const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = entries.length - 1, hops = 0; i >= 0 && hops < MAX_HOPS; i--, hops++) {
      const hop = entryAddress(entries[i]);
      // Garbage where an address should be: nothing left of it can be believed; the last trusted hop is what we know.
      if (hop === undefined) return client;
      client = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    return client; // every hop a trusted proxy: the leftmost one is as far as we can see
  }
}
