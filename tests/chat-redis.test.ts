/**
 * The chat on two server processes through a real redis-server (issue 4, item 9).
 *
 * Two `node dist/server/main.js` processes (build first: `npx tsc -p tsconfig.build.json`,
 * as `npm test` does) share one data folder — the supported multi-node setup — and
 * LIVEROOM_REDIS_URL points both at a redis-server this file starts on a free port.
 * Clients connect to one node or the other; what one node's clients do must reach the
 * other node's clients. Without the Redis adapter none of the cross-node checks can
 * pass: the two processes have no other channel to each other's sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { ChatError, ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Welcome } from '../chat/chat-events';
import { collect, newIdentity, nextEvent, request, sleep } from '../chat/chat-test-kit';
import { freePort } from './helpers/cli-harness';

jest.setTimeout(60_000);

type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
const REDIS_SERVER = fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';

interface Proc {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, exited, output: () => out };
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000, onFail = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms\n${onFail()}`);
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 8000);
  await p.exited;
  clearTimeout(timer);
}

let redis: Proc | undefined;
let redisUrl = '';
let dataDir = '';
const nodes: Record<'a' | 'b', { proc?: Proc; url: string }> = { a: { url: '' }, b: { url: '' } };
const clients: Client[] = [];
/** The viewer count each client was last told (welcome, then `viewers` events). */
const viewersSeen = new Map<Client, number>();

function nodeEnv(httpPort: number, rtmpPort: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LIVEROOM_DATA_DIR: dataDir,
    LIVEROOM_HTTP_PORT: String(httpPort),
    LIVEROOM_HTTP_HOST: '127.0.0.1',
    LIVEROOM_RTMP_PORT: String(rtmpPort),
    LIVEROOM_RTMP_HOST: '127.0.0.1',
    LIVEROOM_REDIS_URL: redisUrl,
    LIVEROOM_LOG_LEVEL: 'warn',
    LIVEROOM_CONFIG: path.join(dataDir, 'config.json'),
  };
}

async function startNode(name: 'a' | 'b'): Promise<void> {
  const [httpPort, rtmpPort] = [await freePort(), await freePort()];
  const proc = run(process.execPath, [MAIN], nodeEnv(httpPort, rtmpPort));
  nodes[name] = { proc, url: `http://127.0.0.1:${httpPort}` };
  await waitFor(`node ${name} start`, () => /Player:/.test(proc.output()) || proc.proc.exitCode !== null, 30_000);
  if (proc.proc.exitCode !== null) throw new Error(`node ${name} exited during start:\n${proc.output()}`);
}

function connect(node: 'a' | 'b', auth: Partial<HandshakeAuth> = {}): Client {
  const socket: Client = ioClient(nodes[node].url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    auth: { channel: 'live', identity: newIdentity(), name: `on-${node}`, ...auth },
  });
  clients.push(socket);
  return socket;
}

async function join(node: 'a' | 'b', auth: Partial<HandshakeAuth> = {}): Promise<{ socket: Client; welcome: Welcome }> {
  const socket = connect(node, auth);
  const welcome = new Promise<Welcome>((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', (err) => reject(new Error(`refused by node ${node}: ${err.message}`)));
  });
  socket.once('welcome', (w) => viewersSeen.set(socket, w.viewers));
  socket.on('viewers', (v) => viewersSeen.set(socket, v.count));
  socket.connect();
  return { socket, welcome: await welcome };
}

async function refused(node: 'a' | 'b', auth: Partial<HandshakeAuth>): Promise<ChatError> {
  const socket = connect(node, auth);
  const error = new Promise<ChatError>((resolve, reject) => {
    socket.once('connect_error', (err) => resolve((err as Error & { data: ChatError }).data));
    socket.once('welcome', () => reject(new Error('connection was accepted')));
  });
  socket.connect();
  return error;
}

/** A moderator or streamer token for the channel, made through node A's admin API with the admin token. */
async function makeToken(role: 'moderator' | 'streamer', label: string): Promise<string> {
  const admin = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const made = await fetch(`${nodes.a.url}/api/admin/channels/live/moderators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label, role }),
  });
  expect(made.status).toBe(201);
  return ((await made.json()) as { token: string }).token;
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  redis = run(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await waitFor('redis-server start', () => /Ready to accept connections/.test(redis!.output()) || redis!.proc.exitCode !== null, 10_000);
  if (redis.proc.exitCode !== null) throw new Error(`redis-server exited:\n${redis.output()}`);

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-redis-'));
  // Quick viewer counts so the test does not wait 5 s for each.
  fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ chat: { viewerCountMs: 250, likeBroadcastMs: 100, messageBatchMs: 1500, messageBatchMaxMs: 1500, batchShards: 1 } }));
  // One after the other: the first creates the shared database, channel and admin token.
  await startNode('a');
  await startNode('b');
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all([stop(nodes.a.proc), stop(nodes.b.proc)]);
  await stop(redis);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('chat on two nodes through Redis', () => {
  it('delivers a message sent on node A to a client on node B, and B has it in history', async () => {
    const onB = (await join('b', { name: 'bea' })).socket;
    const { socket: onA } = await join('a', { name: 'alf' });
    const arriving = nextEvent(onB, 'message', (m) => m.text === 'hello from A');
    const ack = await request(onA, 'send', { text: 'hello from A' });
    expect(ack.ok).toBe(true);
    const seen = await arriving;
    expect(seen.author.name).toBe('alf');
    if (ack.ok) expect(seen.id).toBe(ack.message.id);

    // And the other way round.
    const back = nextEvent(onA, 'message', (m) => m.text === 'hi from B');
    expect((await request(onB, 'send', { text: 'hi from B', kind: 'danmaku', color: '#00a2ff' })).ok).toBe(true);
    expect(await back).toMatchObject({ kind: 'danmaku', color: '#00a2ff', author: { name: 'bea' } });

    // A newcomer on B gets A's message in its history (the nodes share the database).
    const { welcome } = await join('b');
    expect(welcome.history.map((m) => m.text)).toEqual(expect.arrayContaining(['hello from A', 'hi from B']));

    // The broadcasts went through the Redis stream.
    const client = createClient({ url: redisUrl });
    await client.connect();
    try {
      expect(await client.xLen('liveroom:chat')).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });

  it('counts the viewers of both nodes on each node', async () => {
    // Every client of this file has its own identity: the count is the number connected, whichever node they are on.
    const connected = () => clients.filter((c) => c.connected).length;
    const told = (socket: Client, n: number) => waitFor(`viewer count ${n}`, () => viewersSeen.get(socket) === n, 5000, () => `last told ${viewersSeen.get(socket)}`);
    const { socket: onB } = await join('b');
    const onA = await Promise.all([join('a'), join('a'), join('a')]);
    const onBOnly = (await Promise.all([join('b'), join('b')])).map((j) => j.socket);
    await told(onB, connected());
    await told(onA[0].socket, connected());
    for (const socket of [...onA.slice(1).map((j) => j.socket), ...onBOnly]) socket.disconnect();
    await told(onB, connected());
    await told(onA[0].socket, connected());
  });

  it('shares likes: taps on B show on A with the combined total', async () => {
    const { socket: onA, welcome } = await join('a');
    const { socket: onB } = await join('b');
    const counts = collect(onA, 'likes');
    onB.emit('like', 5);
    onA.emit('like', 2);
    await waitFor('likes on A', () => counts.reduce((n, c) => n + c.delta, 0) >= 7, 5000);
    expect(Math.max(...counts.map((c) => c.total))).toBe(welcome.likes + 7);
  });

  it('applies a ban issued on node A to the user connected on node B', async () => {
    // The chat refuses the admin token: the host moderates with a streamer token made through the admin API.
    const streamerToken = await makeToken('streamer', 'host');
    const identity = newIdentity();
    const { socket: target, welcome } = await join('b', { identity, name: 'troll' });
    const { socket: bystander } = await join('b');
    const { socket: streamer } = await join('a', { token: streamerToken, name: 'host' });

    // The troll's message on B can be deleted from A, for everyone.
    const sent = await request(target, 'send', { text: 'spam spam' });
    if (!sent.ok) throw new Error('send failed');
    const deleted = nextEvent(bystander, 'message:deleted', (d) => d.id === sent.message.id);
    expect(await request(streamer, 'moderate', { action: 'delete', messageId: sent.message.id })).toEqual({ ok: true });
    await deleted;

    const disconnected = new Promise<string>((resolve) => target.once('disconnect', resolve));
    const notice = nextEvent(bystander, 'notice', (n) => n.code === 'ban' && n.target?.id === welcome.you.id);
    expect(await request(streamer, 'moderate', { action: 'ban', userId: welcome.you.id })).toEqual({ ok: true });
    expect(await disconnected).toBe('io server disconnect');
    await notice;
    // It sticks on B too (the shared database), and on A.
    expect((await refused('b', { identity, name: 'troll' })).code).toBe('LR_CHAT_BANNED');
    expect((await refused('a', { identity, name: 'troll' })).code).toBe('LR_CHAT_BANNED');
    expect(bystander.connected).toBe(true);
  });

  it('does not deliver a message deleted on node A while it waited in node B\'s batches', async () => {
    const token = await makeToken('moderator', 'quick mod');
    const { socket: author } = await join('b', { name: 'writer' });
    const { socket: batched } = await join('b', { batch: true });
    const { socket: mod } = await join('a', { token, name: 'mod' });
    const batches = collect(batched, 'messages');
    const texts = () => batches.flat().map((m) => m.text);
    const send = async (text: string) => {
      const ack = await request(author, 'send', { text });
      if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
      return ack.message.id;
    };
    await send('opening'); // a quiet room: out at once
    await waitFor('the first batch', () => texts().includes('opening'), 5000);
    const spam = await send('spam'); // waits up to 1.5 s for the next batch, on B
    const deleted = nextEvent(batched, 'message:deleted', (d) => d.id === spam);
    expect(await request(mod, 'moderate', { action: 'delete', messageId: spam })).toEqual({ ok: true });
    await deleted;
    await send('kept');
    await waitFor('the next batch', () => texts().includes('kept'), 5000);
    expect(texts()).toEqual(['opening', 'kept']);
  });

  it('delivers a message sent while Redis was down once it is back (the streams adapter resumes)', async () => {
    const { socket: onA } = await join('a');
    const { socket: onB } = await join('b');
    const got = collect(onB, 'message');
    const port = new URL(redisUrl).port;
    redis!.proc.kill('SIGKILL'); // a crash: nothing saved, Redis comes back empty
    await redis!.exited;
    await sleep(300);
    // Stored and acknowledged on A while the other node cannot be reached.
    expect((await request(onA, 'send', { text: 'during the outage' })).ok).toBe(true);
    redis = run(REDIS_SERVER, ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    await waitFor('redis-server restart', () => /Ready to accept connections/.test(redis!.output()), 10_000);
    await waitFor('the message on B', () => got.some((m) => m.text === 'during the outage'), 15_000);
    // And the nodes carry on as before.
    const after = nextEvent(onB, 'message', (m) => m.text === 'after the outage', 5000);
    expect((await request(onA, 'send', { text: 'after the outage' })).ok).toBe(true);
    await after;
  });

  it('refuses to start with one line naming LIVEROOM_REDIS_URL when Redis is unreachable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-noredis-'));
    try {
      const closed = await freePort();
      const env = { ...nodeEnv(await freePort(), await freePort()), LIVEROOM_DATA_DIR: dir, LIVEROOM_CONFIG: '', LIVEROOM_REDIS_URL: `redis://127.0.0.1:${closed}` };
      const p = run(process.execPath, [MAIN], env);
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 20_000);
      expect(await p.exited).toBe(1);
      clearTimeout(timer);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^liveroom: cannot connect to Redis at redis://127\\.0\\.0\\.1:${closed}.*LIVEROOM_REDIS_URL.*ECONNREFUSED`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
