/**
 * The shared store through the real parts: `liveroom start` as a process with LIVEROOM_DATABASE_URL pointing at a
 * PostgreSQL of the test's own, the built CLI creating a channel, a key and a moderator token, socket.io-client
 * sending chat (each ack only once its row is committed) and banning a viewer, a restart on a fresh data folder that
 * finds history, ban and key in the database, and a real ffmpeg RTMP publish admitted with that key; then PostgreSQL
 * stopped under the running server: publishes refused as store-unavailable (not as wrong keys, no backoff), and
 * admitted at once when it is back.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ChatError, ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Welcome } from '../chat/chat-events';
import { ensureBuilt, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { getText, publish, startLiveroom, until, type Publisher } from './helpers/liveroom-harness';
import { startPostgres, type TestPostgres } from './helpers/postgres';
import { parsePrometheusText } from './helpers/prometheus-text';

jest.setTimeout(180_000);

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('liveroom on PostgreSQL (LIVEROOM_DATABASE_URL)', () => {
  let db: TestPostgres;
  let url: string;
  let rows: pg.Pool;
  let s: ServerProcess | undefined;
  let pub: Publisher | undefined;
  const clients: Client[] = [];
  const PASSWORD = 'not-for-the-log-7f3a';

  const start = async () => {
    s = await startServerProcess({ LIVEROOM_DATABASE_URL: url, LIVEROOM_LOG_LEVEL: 'info' });
    return s;
  };
  const cliEnv = () => ({ ...process.env, LIVEROOM_DATA_DIR: s!.dataDir, LIVEROOM_HTTP_PORT: s!.env.LIVEROOM_HTTP_PORT, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' });
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await runCli([...args, '--json'], cliEnv());
    if (r.code !== 0) throw new Error(`liveroom ${args.join(' ')} → ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const connect = (auth: Partial<HandshakeAuth>): Client => {
    const socket: Client = ioClient(s!.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { channel: 'studio', identity: crypto.randomBytes(16).toString('base64url'), name: 'viewer', ...auth },
    });
    clients.push(socket);
    return socket;
  };
  const join = (auth: Partial<HandshakeAuth>) =>
    new Promise<{ socket: Client; welcome: Welcome }>((resolve, reject) => {
      const socket = connect(auth);
      socket.once('welcome', (welcome) => resolve({ socket, welcome }));
      socket.once('connect_error', (err) => reject(new Error(`refused: ${err.message}`)));
    });
  const refused = (auth: Partial<HandshakeAuth>) =>
    new Promise<ChatError>((resolve, reject) => {
      const socket = connect(auth);
      socket.once('connect_error', (err) => resolve((err as Error & { data: ChatError }).data));
      socket.once('welcome', () => reject(new Error('connection was accepted')));
    });

  beforeAll(async () => {
    ensureBuilt();
    db = await startPostgres();
    const plain = await db.createDatabase();
    rows = new pg.Pool({ connectionString: plain, max: 2 });
    rows.on('error', () => {}); // an idle connection ended by the server's stop
    // With a password in the URL (the test server trusts local connections, so it is never checked): it must not be logged.
    url = plain.replace('postgres@', `postgres:${PASSWORD}@`);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await pub?.stop();
    await s?.stop();
    await rows?.end();
    await db?.stop();
  });

  const identity = crypto.randomBytes(16).toString('base64url');
  let key = '';

  it('keeps channels, keys and chat in PostgreSQL: an ack comes only once the message is committed; a ban is stored', async () => {
    await start();
    expect(s!.log()).toContain('stores on PostgreSQL');
    expect(s!.log()).toContain('postgres:***@');
    expect(s!.log()).not.toContain(PASSWORD);
    await json('channels', 'create', 'studio', '--title', 'Studio');
    key = (await json<{ key: string }>('keys', 'create', 'studio', '--label', 'obs')).key;
    expect((await rows.query("SELECT title FROM channels WHERE name = 'studio'")).rows).toEqual([{ title: 'Studio' }]);
    expect((await rows.query("SELECT label FROM stream_keys WHERE channel = 'studio' AND revoked_at IS NULL ORDER BY label")).rows.map((r) => r.label)).toEqual(['obs']);

    const { socket: vic } = await join({ name: 'Vic', identity });
    for (const text of ['first', 'second', 'third']) {
      const ack = await vic.timeout(5000).emitWithAck('send', { text, kind: 'chat' });
      if (!ack.ok) throw new Error(ack.error.message);
      // Read at once, on another connection: the row is there when the ack is.
      expect((await rows.query('SELECT text, channel FROM chat_messages WHERE id = $1', [ack.message.id])).rows).toEqual([{ text, channel: 'studio' }]);
    }

    const mia = await json<{ token: string }>('moderators', 'add', 'studio', '--label', 'Mia');
    const { socket: mod } = await join({ name: 'Mia', token: mia.token });
    const gone = new Promise<void>((resolve) => vic.once('disconnect', () => resolve()));
    const userId = (await rows.query<{ id: string }>("SELECT id FROM chat_users WHERE name = 'Vic'")).rows[0].id;
    expect(await mod.timeout(5000).emitWithAck('moderate', { action: 'ban', userId, reason: 'test' })).toEqual({ ok: true });
    await gone;
    expect((await rows.query("SELECT kind, user_id FROM chat_sanctions WHERE channel = 'studio' AND lifted_at IS NULL")).rows).toEqual([{ kind: 'ban', user_id: userId }]);
    expect((await rows.query("SELECT action FROM chat_moderation_log WHERE channel = 'studio'")).rows).toEqual([{ action: 'ban' }]);
  });

  it('after a restart on a fresh data folder: the history, the ban and the key are still there, and a publish with the key is admitted', async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await s!.stop();
    await start(); // a new data folder: everything below comes from the database
    const { welcome } = await join({ name: 'Reader' });
    expect(welcome.history.map((m) => m.text)).toEqual(['first', 'second', 'third']);
    expect(await refused({ name: 'Vic again', identity })).toMatchObject({ code: 'LR_CHAT_BANNED' });
    const keys = await json<{ keys: { label: string; revokedAt: number | null }[] }>('keys', 'list', 'studio');
    expect(keys.keys.filter((k) => k.revokedAt === null).map((k) => k.label)).toEqual(['obs']);

    pub = publish(`${s!.rtmp}/${key}`, { size: '320x180' });
    await until(async () => JSON.parse((await getText(`${s!.base}/api/channels/studio`)).text).live, 40_000, "channel 'studio' live with the stored key");
    const wrong = publish(`${s!.rtmp}/not-the-key-0000000000`, { seconds: 10 });
    expect(await wrong.exited).not.toBe(0);
  });

  it('with PostgreSQL down a publish is refused as store-unavailable, not as a wrong key: once it is back, the same address publishes at once', async () => {
    await pub?.stop();
    pub = undefined;
    const metrics = async () => parsePrometheusText(await (await fetch(`${s!.base}/metrics`)).text());
    const metric = async (reason: string) => (await metrics()).value('liveroom_rtmp_refused_total', { reason }) ?? 0;
    const admitted = async () => (await metrics()).value('liveroom_publishes_total', { channel: 'studio' }) ?? 0;
    const admittedBefore = await admitted();
    await db.halt();
    try {
      // More refusals than rtmp.authFailuresBeforeBackoff (5): counted as failed attempts, they would back the address off.
      for (let i = 0; i < 6; i++) {
        const refused = publish(`${s!.rtmp}/${key}`, { seconds: 10, size: '320x180' });
        expect(await refused.exited).not.toBe(0);
        expect(refused.stderr()).toContain("the server's database is unavailable");
      }
      expect(await metric('store-unavailable')).toBe(6);
      expect(await metric('unknown-key')).toBe(1); // the wrong key of the test before
      expect(s!.log()).toContain('LR_INGEST_STORE_UNAVAILABLE');
    } finally {
      await db.resume();
    }
    // The first publish after the outage is admitted: the address was not backed off.
    pub = publish(`${s!.rtmp}/${key}`, { size: '320x180' });
    await until(async () => (await admitted()) > admittedBefore, 20_000, 'the publish admitted once PostgreSQL is back');
    await until(async () => JSON.parse((await getText(`${s!.base}/api/channels/studio`)).text).live, 40_000, "channel 'studio' live");
    expect(await metric('backed-off')).toBe(0);
    expect(await metric('store-unavailable')).toBe(6);
  });

  it('two nodes starting at once on a new database: migrated once, one default channel, one key made and shown by one of them', async () => {
    const fresh = await db.createDatabase();
    const nodes = await Promise.all([0, 1].map(() => startLiveroom({ databaseUrl: fresh, streamKey: undefined })));
    try {
      expect(nodes.map((n) => n.info.streamKeyState).sort()).toEqual(['created', 'kept']);
      const check = new pg.Pool({ connectionString: fresh, max: 1 });
      check.on('error', () => {});
      try {
        expect((await check.query('SELECT COUNT(*)::int AS n FROM schema_migrations')).rows[0].n).toBeGreaterThan(0);
        expect((await check.query('SELECT name FROM channels')).rows).toEqual([{ name: 'live' }]);
        expect((await check.query("SELECT COUNT(*)::int AS n FROM stream_keys WHERE channel = 'live' AND revoked_at IS NULL")).rows[0].n).toBe(1);
      } finally {
        await check.end();
      }
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});
