/// <reference lib="dom" />
/**
 * Nodes on separate hosts (issue 11, item 2): two `liveroom start` processes,
 * each with its own data folder, one real redis-server and one real PostgreSQL
 * (the shared store) between them. A real
 * ffmpeg publishes into node A; node B serves the channel's LL-HLS by proxying
 * to A (multivariant, media playlist with a blocking reload, parts, init,
 * thumbnail), hls.js in Chromium plays B's watch page, B's chat reaches A's,
 * `liveroom status` against B shows the channel live on A, a second publish
 * into B is refused, and killing either node leaves the
 * other right: B gone, A keeps serving; A gone, B forgets the channel once its
 * claim expires and answers 404.
 *
 * Build first (`npm run build`): the nodes and the CLI run from dist/.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Welcome } from '../chat/chat-events';
import { newIdentity, nextEvent, request } from '../chat/chat-test-kit';
import { ensureBuilt, freePort, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { launchBrowser } from './helpers/browser';
import { getText, publish, until, type Publisher } from './helpers/liveroom-harness';
import { attrs, parseMedia } from './helpers/m3u8';
import { startPostgres, type TestPostgres } from './helpers/postgres';
import { startRedisServer, stopRedisServer } from './helpers/redis';

jest.setTimeout(180_000);

type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;
const KEY = 'cluster-test-key-0001';
/** Short, so the "A died" check does not wait long; the heartbeat is a third of it. */
const ORIGIN_TTL_MS = 2000;

let redis: ChildProcess | undefined;
let redisUrl = '';
let configDir = '';
const nodes: Partial<Record<'a' | 'b', ServerProcess>> = {};
const publishers: Publisher[] = [];
const clients: Client[] = [];

/**
 * The stores of both nodes: one PostgreSQL (LIVEROOM_DATABASE_URL) shared by both, each node with its own data
 * folder. The second channel is created once, through the first node started; the other node sees it (its status
 * lists it) without being told. The default channel's key comes from LIVEROOM_STREAM_KEY on both (the same key).
 */
let pg: TestPostgres | undefined;
let databaseUrl = '';
let channelsCreated = false;
async function setUpStores(node: ServerProcess): Promise<void> {
  if (channelsCreated) return;
  const r = await cli(node, 'channels', 'create', 'studio', '--title', 'Studio', '--profile', 'passthrough');
  if (r.code !== 0) throw new Error(`channels create on ${node.base}: ${r.stderr}`);
  channelsCreated = true;
}
const storeEnv = (): NodeJS.ProcessEnv => ({ LIVEROOM_STREAM_KEY: KEY, LIVEROOM_DATABASE_URL: databaseUrl });

function cli(node: ServerProcess, ...args: string[]) {
  const token = fs.readFileSync(path.join(node.dataDir, 'admin-token'), 'utf8').trim();
  return runCli(['--server', node.base, '--token', token, ...args], { ...process.env, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' });
}

async function startNode(name: 'a' | 'b'): Promise<ServerProcess> {
  const httpPort = await freePort();
  const node = await startServerProcess({
    ...storeEnv(),
    LIVEROOM_HTTP_PORT: String(httpPort),
    LIVEROOM_REDIS_URL: redisUrl,
    LIVEROOM_NODE_URL: `http://127.0.0.1:${httpPort}`,
    LIVEROOM_NODE_ID: `node-${name}`,
    LIVEROOM_PROFILE: 'passthrough', // two nodes and two ffmpegs share a small machine
    LIVEROOM_CONFIG: path.join(configDir, 'config.json'),
  });
  nodes[name] = node;
  await setUpStores(node);
  return node;
}

function join(node: ServerProcess, name: string, auth: Partial<HandshakeAuth> = {}): Promise<{ socket: Client; welcome: Welcome }> {
  const socket: Client = ioClient(node.base, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { channel: 'live', identity: newIdentity(), name, ...auth } satisfies Partial<HandshakeAuth>,
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('welcome', (welcome) => resolve({ socket, welcome }));
    socket.once('connect_error', (err) => reject(new Error(`chat refused by ${node.base}: ${err.message}`)));
  });
}

/** The multivariant playlist's first media playlist URL, through `base`. */
async function mediaUrl(base: string): Promise<string> {
  const master = `${base}/hls/live/master.m3u8`;
  const r = await getText(master);
  if (r.status !== 200) return '';
  const lines = r.text.trim().split('\n');
  const i = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  return i >= 0 ? new URL(lines[i + 1], master).href : '';
}

async function lastMsn(url: string): Promise<number> {
  const r = await getText(url);
  if (r.status !== 200) return -1;
  return parseMedia(r.text).segments.at(-1)?.msn ?? -1;
}

async function bytes(url: string): Promise<{ status: number; body: Buffer; type: string | null; cache: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type'), cache: res.headers.get('cache-control') };
}

async function startRedis(port: number): Promise<void> {
  redis = await startRedisServer(port);
}

beforeAll(async () => {
  ensureBuilt();
  const port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  await startRedis(port);
  pg = await startPostgres();
  databaseUrl = await pg.createDatabase();
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-cluster-'));
  fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({
      cluster: { originTtlMs: ORIGIN_TTL_MS },
      hls: { reconnectGraceMs: 15_000 },
      // Longer than the test: a moderation action on one node can only reach the other's cache through Redis.
      chat: { moderationCacheMs: 60_000 },
    }));
  await startNode('a');
  await startNode('b');
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const p of publishers) await p.stop();
  await Promise.all([nodes.a?.stop(), nodes.b?.stop()]);
  await pg?.stop();
  await stopRedisServer(redis);
  if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
});

describe('two nodes on separate data folders, one Redis and one PostgreSQL', () => {
  let aMedia = '';
  let bMedia = '';

  it('serves the channel published into A from B: multivariant, blocking reload, parts and init, byte for byte', async () => {
    const a = nodes.a!;
    const b = nodes.b!;
    publishers.push(publish(`${a.rtmp}/${KEY}`));
    aMedia = await until(() => mediaUrl(a.base), 60_000, 'the channel to go live on A');
    await until(async () => (await lastMsn(aMedia)) >= 2, 30_000, 'three segments on A');

    // B has no broadcast of its own: everything below comes from A through B.
    bMedia = await until(() => mediaUrl(b.base), 10_000, 'B to serve the multivariant playlist');
    expect(new URL(bMedia).pathname).toBe(new URL(aMedia).pathname);
    const masterA = await getText(`${a.base}/hls/live/master.m3u8`);
    const masterB = await getText(`${b.base}/hls/live/master.m3u8`);
    expect(masterB.text).toBe(masterA.text);
    expect(masterB.headers.get('cache-control')).toBe(masterA.headers.get('cache-control'));

    // A blocking reload through B for the part after the newest: held at A until it exists, then answered.
    const now = parseMedia((await getText(bMedia)).text);
    const last = now.segments.at(-1)!;
    const [msn, part] = now.trailingParts.length ? [last.msn + 1, now.trailingParts.length] : [last.msn + 1, 0];
    const held = await getText(`${bMedia}?_HLS_msn=${msn}&_HLS_part=${part}`);
    expect(held.status).toBe(200);
    expect(held.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(held.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/); // a satisfied blocking reload: cacheable
    const got = parseMedia(held.text);
    const has = got.segments.some((s) => s.msn > msn || (s.msn === msn && s.parts.length > part)) || (got.segments.at(-1)!.msn === msn - 1 && got.trailingParts.length > part);
    expect(has).toBe(true);

    // A part and the init segment through B are A's bytes, immutable.
    const partUri = (got.trailingParts.at(-1) ?? got.segments.at(-1)!.parts.at(-1)!).uri;
    const [pa, pb] = await Promise.all([bytes(new URL(partUri, aMedia).href), bytes(new URL(partUri, bMedia).href)]);
    expect(pb.status).toBe(200);
    expect(pb.type).toBe('video/mp4');
    expect(pb.body.equals(pa.body)).toBe(true);
    expect(pb.cache).toBe(pa.cache);
    const init = got.segments.find((s) => s.map)?.map ?? attrs(held.text.match(/#EXT-X-MAP:(.*)/)![1]).URI;
    const [ia, ib] = await Promise.all([bytes(new URL(init, aMedia).href), bytes(new URL(init, bMedia).href)]);
    expect(ib.status).toBe(200);
    expect(ib.body.equals(ia.body)).toBe(true);

    // An error from the origin keeps its status: a part past the window is A's 404 JSON.
    const missing = await getText(new URL(partUri.replace(/\d+(\.\w+)$/, '999999$1'), bMedia).href);
    expect(missing.status).toBe((await getText(new URL(partUri.replace(/\d+(\.\w+)$/, '999999$1'), aMedia).href)).status);
  });

  it("plays in Chromium with hls.js from B's watch page", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${nodes.b!.base}/watch/live`);
      await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
      const time = () => page.evaluate(() => ((window as any).__liveroom?.video?.currentTime ?? 0) as number);
      const t0 = await time();
      await until(async () => (await time()) > t0 + 2, 20_000, 'currentTime to advance 2 s through B');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('chats through B and receives on A', async () => {
    const { socket: onA } = await join(nodes.a!, 'alf');
    const { socket: onB } = await join(nodes.b!, 'bea');
    // A generous wait: the machine also runs two nodes, their ffmpegs and a publisher.
    const arriving = nextEvent(onA, 'message', (m) => m.text === 'hello from B', 20_000);
    expect((await request(onB, 'send', { text: 'hello from B' })).ok).toBe(true);
    expect((await arriving).author.name).toBe('bea');
    // And back, from A to B.
    const back = nextEvent(onB, 'message', (m) => m.text === 'hi from A', 20_000);
    expect((await request(onA, 'send', { text: 'hi from A' })).ok).toBe(true);
    expect((await back).author.name).toBe('alf');
  });

  it('a moderation action on A applies at once to a viewer on B, whose node caches the moderation state (told through Redis)', async () => {
    const made = await cli(nodes.a!, 'moderators', 'add', 'live', '--label', 'Mia', '--json');
    if (made.code !== 0) throw new Error(`moderators add: ${made.stderr}`);
    const { socket: mod } = await join(nodes.a!, 'Mia', { token: (JSON.parse(made.stdout) as { token: string }).token });
    const { socket: viewer, welcome } = await join(nodes.b!, 'vic');
    // B reads the channel's moderation state now, and keeps it (chat.moderationCacheMs is 60 s here).
    expect((await request(viewer, 'send', { text: 'before' })).ok).toBe(true);
    expect(await request(mod, 'moderate', { action: 'timeout', userId: welcome.you.id, seconds: 600 })).toEqual({ ok: true });
    await until(async () => {
      const ack = await request(viewer, 'send', { text: 'still here?' });
      return !ack.ok && ack.error.code === 'LR_CHAT_TIMED_OUT';
    }, 5000, "node B refusing the viewer's message after the timeout on A");
    expect(await request(mod, 'moderate', { action: 'block-word', word: 'sneaky' })).toEqual({ ok: true, blockedWords: ['sneaky'] });
    expect(await request(mod, 'moderate', { action: 'unban', userId: welcome.you.id })).toEqual({ ok: true });
    await until(async () => (await request(viewer, 'send', { text: 'thanks' })).ok, 5000, 'node B letting the viewer write after the unban on A');
    // (Polled: the refusals above took from the viewer's message allowance, which may answer LR_CHAT_RATE_LIMITED first.)
    await until(async () => {
      const ack = await request(viewer, 'send', { text: 'a sneaky word' });
      return !ack.ok && ack.error.code === 'LR_CHAT_BLOCKED_WORD';
    }, 5000, 'node B refusing the word blocked on A');
  });

  it('shows the channel live on node A in `liveroom status` and the public status of B', async () => {
    const b = nodes.b!;
    const r = await cli(b, 'status', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { node: string; nodes: { id: string }[]; channels: { name: string; live: boolean; origin: { node: string; since: number } | null }[] };
    expect(s.node).toBe('node-b');
    expect(s.nodes.map((n) => n.id)).toEqual(['node-a', 'node-b']);
    const live = s.channels.find((c) => c.name === 'live')!;
    expect(live).toMatchObject({ live: true, origin: { node: 'node-a' } });
    expect(live.origin!.since).toBeGreaterThan(0);
    expect(s.channels.find((c) => c.name === 'studio')).toMatchObject({ live: false, origin: null });
    const text = await cli(b, 'status');
    expect(text.stdout).toMatch(/^live\s+live \S+ on node node-a\s/m);
    const view = (await (await fetch(`${b.base}/api/channels/live`)).json()) as { live: boolean };
    expect(view.live).toBe(true);
    // The live thumbnail is made on A and proxied by B.
    const jpeg = await until(async () => {
      const res = await fetch(`${b.base}/api/channels/live/thumbnail.jpg`);
      const body = Buffer.from(await res.arrayBuffer());
      return res.status === 200 && res.headers.get('content-type') === 'image/jpeg' && body;
    }, 30_000, "A's live thumbnail through B");
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('refuses a second publish of the channel into B, with the reason in its log', async () => {
    const b = nodes.b!;
    const second = publish(`${b.rtmp}/${KEY}`);
    publishers.push(second);
    const code = await second.exited;
    expect(code).not.toBe(0);
    await until(() => /is live on node 'node-a'.*one origin per channel/.test(b.log()), 10_000, "B's log to say why");
    // A's broadcast is untouched.
    const before = await lastMsn(aMedia);
    await until(async () => (await lastMsn(aMedia)) > before, 15_000, "A's playlist to advance");
  });

  it('killing B leaves A serving', async () => {
    nodes.b!.proc.kill('SIGKILL');
    await new Promise((r) => (nodes.b!.proc.exitCode !== null || nodes.b!.proc.signalCode !== null ? r(null) : nodes.b!.proc.once('exit', r)));
    const before = await lastMsn(aMedia);
    await until(async () => (await lastMsn(aMedia)) >= before + 3, 20_000, "A's playlist to advance three segments with B gone");
    expect(parseMedia((await getText(aMedia)).text).endlist).toBe(false);
    await nodes.b!.stop(); // its data folder
  });

  it('killing A: once its claim expires, B says offline and answers 404 (never hangs)', async () => {
    const b = await startNode('b');
    await until(() => mediaUrl(b.base), 10_000, 'the new B to serve the channel from A');
    nodes.a!.proc.kill('SIGKILL');
    // While A's claim lives, B's proxied requests fail fast (502); then the claim expires and B answers 404.
    const seen = new Set<number>();
    await until(async () => {
      const r = await fetch(`${b.base}/hls/live/master.m3u8`, { signal: AbortSignal.timeout(10_000) });
      seen.add(r.status);
      return r.status === 404 && ((await r.json()) as { error: { code: string } }).error.code === 'LR_HLS_NOT_LIVE';
    }, 20_000, "B's multivariant playlist to answer 404");
    expect([...seen].every((s) => s === 404 || s === 502)).toBe(true);
    const r = await cli(b, 'status', '--json');
    const s = JSON.parse(r.stdout) as { channels: { name: string; live: boolean; origin: unknown }[] };
    expect(s.channels.find((c) => c.name === 'live')).toMatchObject({ live: false, origin: null });
    // The media playlist URL of A's broadcast too.
    expect((await getText(new URL(new URL(bMedia).pathname, b.base).href)).status).toBe(404);
  });

  it('a publisher that leaves one node and comes back through the other within the reconnect grace moves the channel there', async () => {
    const b = nodes.b!;
    await nodes.a!.stop(); // the killed A's data folder
    const a = await startNode('a');
    const onB = publish(`${b.rtmp}/${KEY}`);
    publishers.push(onB);
    const bMaster = await until(() => mediaUrl(b.base), 60_000, 'the channel to go live on B');
    await until(async () => (await mediaUrl(a.base)) === bMaster.replace(b.base, a.base), 10_000, 'A to serve B\'s broadcast');

    // The encoder's connection to B dies; B's broadcast waits for it (reconnect grace): its claim says so.
    await onB.stop();
    type Status = { channels: { name: string; live: boolean; origin: { node: string; publishing: boolean } | null }[] };
    await until(async () => {
      const s = JSON.parse((await cli(a, 'status', '--json')).stdout) as Status;
      const live = s.channels.find((c) => c.name === 'live');
      return live?.origin?.node === 'node-b' && live.origin.publishing === false;
    }, 15_000, "A to see B's claim waiting for its publisher");

    // It comes back through A (the load balancer sent it there): A takes the channel over, B now serves it from A.
    publishers.push(publish(`${a.rtmp}/${KEY}`));
    const aMaster = await until(async () => {
      const url = await mediaUrl(a.base);
      return url && new URL(url).pathname !== new URL(bMaster).pathname && url;
    }, 60_000, 'a new broadcast on A');
    await until(async () => (await mediaUrl(b.base)) === aMaster.replace(a.base, b.base), 15_000, 'B to serve A\'s new broadcast');
    const s = JSON.parse((await cli(b, 'status', '--json')).stdout) as Status;
    expect(s.channels.find((c) => c.name === 'live')).toMatchObject({ live: true, origin: { node: 'node-a', publishing: true } });
    await until(() => /another node took the channel over/.test(b.log()), 10_000, "B's log to say so");
  });

  it('with Redis down each node keeps serving what it ingests; once it is back, B serves A\'s channel again', async () => {
    const a = nodes.a!;
    const b = nodes.b!;
    const aUrl = await mediaUrl(a.base);
    const proc = redis!;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    const before = await lastMsn(aUrl);
    await until(async () => (await lastMsn(aUrl)) >= before + 3, 20_000, "A's playlist to advance three segments without Redis");
    // B forgets A's channel once the claim it last read has run out: offline there (B's own answer), not hanging.
    await until(async () => {
      const s = JSON.parse((await cli(b, 'status', '--json')).stdout) as { channels: { name: string; live: boolean; origin: unknown }[] };
      return s.channels.find((c) => c.name === 'live')?.origin === null;
    }, 15_000, 'B to forget the channel');
    expect(new URL((await mediaUrl(b.base)) || b.base).pathname).not.toBe(new URL(aUrl).pathname);
    await until(() => /cluster registry lost Redis/.test(a.log()), 10_000, "A's log to say Redis is gone");

    await startRedis(Number(new URL(redisUrl).port));
    // Both reconnect (backoff up to 5 s); A writes its claim again on its next beat.
    await until(async () => (await mediaUrl(b.base)) === aUrl.replace(a.base, b.base), 30_000, 'B to serve A\'s channel again');
    expect((await lastMsn(aUrl)) > before).toBe(true);
  });
});
