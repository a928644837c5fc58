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
