/**
 * The origin registry against a real redis-server: one claim per channel, the
 * other nodes' claims in memory, release, and Redis going away and coming
 * back (claims keep working locally, are forgotten after their TTL, and are
 * written again once Redis is back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import pino from 'pino';
import { OriginRegistry } from './origin-registry';

jest.setTimeout(60_000);

const REDIS_SERVER = fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
const TTL = 1500;
const log = pino({ level: 'silent' });

let port = 0;
let redis: ChildProcess | undefined;
const registries: OriginRegistry[] = [];

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

async function startRedis(): Promise<void> {
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  await waitFor('redis-server', () => /Ready to accept connections/.test(out));
  redis = proc;
}

async function stopRedis(): Promise<void> {
  const proc = redis;
  redis = undefined;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function node(id: string, changes: string[] = [], lost: string[] = []): Promise<OriginRegistry> {
  const r = await OriginRegistry.connect({
    redisUrl: `redis://127.0.0.1:${port}`,
    nodeId: id,
    nodeUrl: `http://${id}.internal:8000`,
    publicUrl: `https://${id}.example`,
    ttlMs: TTL,
    log,
    onRemoteChange: (ch) => changes.push(ch),
    onLost: (ch, holder) => lost.push(`${ch}:${holder.node}`),
  });
  registries.push(r);
  return r;
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
});

afterAll(async () => {
  for (const r of registries) await r.stop();
  await stopRedis();
});

describe('OriginRegistry', () => {
  it('gives each channel one origin: a second node is told who holds it, and may claim it once released', async () => {
    const changes: string[] = [];
    const a = await node('a');
    const b = await node('b', changes);
    expect(await a.claim('live', 'p1')).toBeUndefined();
    expect(await b.claim('live', 'p2')).toMatchObject({ channel: 'live', node: 'a', url: 'http://a.internal:8000', publicUrl: 'https://a.example', publishId: 'p1' });
    await waitFor("B's memory of A's claim", () => b.remoteOrigin('live')?.node === 'a');
    expect(changes).toContain('live');
    expect(a.remoteOrigin('live')).toBeUndefined(); // its own claim is not "another node's"
    expect(b.nodes().map((n) => n.id)).toEqual(['a', 'b']);

    // A restarted node (same id) takes its own claim back; a release of another publish leaves it.
    expect(await a.claim('live', 'p3')).toBeUndefined();
    await a.release('live', 'p1');
    await waitFor('the new publish id at B', () => b.remoteOrigin('live')?.publishId === 'p3');

    await a.release('live', 'p3');
    await waitFor('B to forget the released claim', () => b.remoteOrigin('live') === undefined);
    expect(await b.claim('live', 'p4')).toBeUndefined();
    await waitFor("A's memory of B's claim", () => a.remoteOrigin('live')?.node === 'b');
    await b.release('live');
  });

  it('lets another node take over a channel whose publisher left (reconnect grace), and tells the old origin', async () => {
    const lost: string[] = [];
    const a = await node('a3', [], lost);
    const b = await node('b3');
    expect(await a.claim('music', 'm1')).toBeUndefined();
    await waitFor("B's memory of A's claim", () => b.remoteOrigin('music')?.publishing === true);
    expect(await b.claim('music', 'm2')).toMatchObject({ node: 'a3', publishing: true });

    await a.idle('music', 'm1'); // A's publisher left; its broadcast waits for it
    await waitFor('B to see A waiting', () => b.remoteOrigin('music')?.publishing === false);
    expect(b.remoteOrigin('music')?.node).toBe('a3');
    expect(await b.claim('music', 'm2')).toBeUndefined(); // the encoder came back through B
    await waitFor('A to learn it lost the channel', () => lost.includes('music:b3'));
    await waitFor("A's memory of B's claim", () => a.remoteOrigin('music')?.node === 'b3');
    await a.release('music'); // A's broadcast ends later: B's claim stays
    await waitFor('B still the origin', async () => (await a.claim('music', 'm3'))?.node === 'b3');
    await b.release('music');
  });

  it('keeps working with Redis down: claims taken locally, others forgotten after their TTL, all written again when it is back', async () => {
    const a = await node('a2');
    const b = await node('b2');
    expect(await a.claim('news', 'n1')).toBeUndefined();
    await waitFor("B's memory of A's claim", () => b.remoteOrigin('news')?.node === 'a2');

    await stopRedis();
    // Nothing waits on a dead Redis: a claim answers at once (taken locally, written later).
    expect(await b.claim('sport', 's1')).toBeUndefined();
    await waitFor("B to forget A's claim once its TTL ran out", () => b.remoteOrigin('news') === undefined, TTL + 5000);

    await startRedis();
    // Both nodes reconnect (backoff up to 5 s) and write their claims again on the next beat.
    await waitFor("A's claim back at B", () => b.remoteOrigin('news')?.node === 'a2', 20_000);
    await waitFor("B's claim, made while Redis was down, at A", () => a.remoteOrigin('sport')?.node === 'b2', 20_000);
  });
});
