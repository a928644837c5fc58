/**
 * The RTMP traffic of issue 13, as a stranger with no key would send it:
 * random bytes, stalled handshakes, and handshake-then-hundreds-of-publish
 * connections with random stream names. Used by tests/ingest-abuse.test.ts
 * (bounded amounts) and by the abuse bench's attacker process (lanes that
 * repeat at full speed until told to stop).
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { handshakeHello, RawRtmpClient } from './rtmp-raw-client';

export type AbuseKind = 'garbage' | 'stalled' | 'publish-flood';

export interface AbuseTarget {
  host: string;
  port: number;
  app: string;
  /** Client source addresses to spread over (127.0.0.x on Linux loopback), like a crowd rather than one host. */
  addresses: string[];
}

export interface AbuseCounts {
  connections: number;
  /** Connections the server closed before answering anything (refused at accept). */
  closedAtOnce: number;
  bytesSent: number;
  publishesSent: number;
  /** NetStream.Publish.Start seen by a keyless client: must stay 0. */
  publishStarts: number;
  connectErrors: number;
}

export function emptyCounts(): AbuseCounts {
  return { connections: 0, closedAtOnce: 0, bytesSent: 0, publishesSent: 0, publishStarts: 0, connectErrors: 0 };
}

/** `count` loopback client addresses other than 127.0.0.1: 127.0.0.2…127.0.0.254, then 127.0.1.2…, and so on. */
export function loopbackAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `127.0.${Math.floor(k / 253)}.${2 + (k % 253)}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openSocket(target: AbuseTarget, localAddress: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: target.host, port: target.port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

/** Resolves when the socket closes or after `ms`; reports whether anything came back. */
function closedOrAfter(s: net.Socket, ms: number): Promise<{ answered: boolean }> {
  return new Promise((resolve) => {
    let answered = false;
    s.on('data', () => (answered = true));
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve({ answered });
    };
    const t = setTimeout(done, ms);
    s.once('close', done);
  });
}

/** One connection that sends `bytes` random bytes as fast as the socket takes them. */
async function garbage(target: AbuseTarget, addr: string, counts: AbuseCounts, bytes: number): Promise<void> {
  const s = await openSocket(target, addr);
  if (!s) return void counts.connectErrors++;
  counts.connections++;
  s.on('error', () => {});
  const waiting = closedOrAfter(s, 3000);
  for (let sent = 0; sent < bytes && !s.destroyed; sent += 4096) {
    s.write(crypto.randomBytes(Math.min(4096, bytes - sent)));
    counts.bytesSent += Math.min(4096, bytes - sent);
  }
  const { answered } = await waiting;
  if (!answered) counts.closedAtOnce++;
}

/** C0 and part of C1, then nothing: holds a connection until the server drops it (or `holdMs`). */
async function stalled(target: AbuseTarget, addr: string, counts: AbuseCounts, holdMs: number): Promise<void> {
  const s = await openSocket(target, addr);
  if (!s) return void counts.connectErrors++;
  counts.connections++;
  s.on('error', () => {});
  s.write(handshakeHello().subarray(0, 200));
  counts.bytesSent += 200;
  const { answered } = await closedOrAfter(s, holdMs);
  if (!answered) counts.closedAtOnce++;
}

/** Handshake, connect, createStream, then `publishes` publish commands with random names, all at once. */
async function publishFlood(target: AbuseTarget, addr: string, counts: AbuseCounts, publishes: number): Promise<void> {
  let c: RawRtmpClient;
  try {
    c = await RawRtmpClient.open({ host: target.host, port: target.port, localAddress: addr });
  } catch {
    return void counts.connectErrors++;
  }
  counts.connections++;
  try {
    await c.handshake(5000);
  } catch {
    counts.closedAtOnce++;
    return c.destroy();
  }
  c.connectApp(target.app, `rtmp://${target.host}:${target.port}/${target.app}`);
  c.createStream();
  for (let i = 0; i < publishes && !c.isClosed; i++) {
    c.publish(crypto.randomBytes(12).toString('base64url'));
    counts.publishesSent++;
  }
  await Promise.race([c.closed, sleep(3000)]);
  if (c.saw('NetStream.Publish.Start')) counts.publishStarts++;
  c.destroy();
}

export interface LaneOptions {
  garbageBytes?: number;
  stallMs?: number;
  /** Stalled connections let go by then at the latest (ms since the epoch). */
  until?: number;
  publishes?: number;
}

/** Runs one connection of `kind` from the lane's next source address. */
export function abuseOnce(kind: AbuseKind, target: AbuseTarget, addr: string, counts: AbuseCounts, opts: LaneOptions = {}): Promise<void> {
  switch (kind) {
    case 'garbage':
      return garbage(target, addr, counts, opts.garbageBytes ?? 16_384);
    case 'stalled':
      return stalled(target, addr, counts, Math.max(0, Math.min(opts.stallMs ?? 15_000, (opts.until ?? Infinity) - Date.now())));
    case 'publish-flood':
      return publishFlood(target, addr, counts, opts.publishes ?? 300);
  }
}

/** `lanes` concurrent connections of `kind`, each starting over as soon as it ends, until `running()` is false. */
export async function runLanes(
  kind: AbuseKind,
  lanes: number,
  target: AbuseTarget,
  counts: AbuseCounts,
  running: () => boolean,
  opts: LaneOptions = {},
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (running()) {
        const addr = target.addresses[next++ % target.addresses.length];
        await abuseOnce(kind, target, addr, counts, opts).catch(() => counts.connectErrors++);
      }
    }),
  );
}
