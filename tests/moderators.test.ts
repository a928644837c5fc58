/**
 * Chat roles through the real parts: `liveroom start` as a process, the built
 * CLI adding, listing and revoking moderator and streamer tokens, and real
 * socket.io-client connections to the server's chat (one of them a moderator
 * disconnected mid-chat by the revoke).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ChatError, ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Welcome } from '../chat/chat-events';
import { ensureBuilt, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';

jest.setTimeout(120_000);

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('moderator and streamer tokens', () => {
  let s: ServerProcess;
  let env: NodeJS.ProcessEnv;
  const clients: Client[] = [];
  const cli = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    if (r.code !== 0) throw new Error(`liveroom ${args.join(' ')} → ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const connect = (auth: Partial<HandshakeAuth>): Client => {
    const socket: Client = ioClient(s.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: 'viewer', ...auth },
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
    s = await startServerProcess();
    env = { ...process.env, LIVEROOM_DATA_DIR: s.dataDir, LIVEROOM_HTTP_PORT: s.env.LIVEROOM_HTTP_PORT, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' };
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await s?.stop();
  });

  it('gives each role its badge; the admin token is refused by the chat and a streamer token by the admin API', async () => {
    const mia = await json<{ id: string; token: string; role: string }>('moderators', 'add', 'live', '--label', 'Mia');
    expect(mia).toMatchObject({ role: 'moderator', token: expect.stringMatching(/^lrm_/) });
    const shown = await cli('moderators', 'add', 'live', '--label', 'Sam', '--streamer');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Streamer token for channel 'live'/);
    expect(shown.stdout).toMatch(/shown only this once/);
    const streamerToken = /^\s+(lrs_\S+)$/m.exec(shown.stdout)![1];

    expect((await join({ name: 'Mia', token: mia.token })).welcome.you.role).toBe('moderator');
    expect((await join({ name: 'Sam', token: streamerToken })).welcome.you.role).toBe('streamer');
    const adminToken = fs.readFileSync(path.join(s.dataDir, 'admin-token'), 'utf8').trim();
    expect(await refused({ name: 'Admin', token: adminToken })).toMatchObject({ code: 'LR_CHAT_BAD_TOKEN', message: expect.stringMatching(/admin token does not work in the chat/) });
    for (const token of [streamerToken, mia.token]) {
      const res = await fetch(`${s.base}/api/admin/channels`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }

    const listed = await cli('moderators', 'list', 'live');
    expect(listed.stdout).toMatch(/^ID\s+CHANNEL\s+LABEL\s+ROLE\s+CREATED\s+LAST USED\s+STATUS$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${mia.id}\\s+live\\s+Mia\\s+moderator\\s`, 'm'));
    expect(listed.stdout).toMatch(/\sSam\s+streamer\s/);
    const everything = listed.stdout + JSON.stringify(await json('moderators', 'list')) + s.log();
    expect(everything).not.toContain(mia.token);
    expect(everything).not.toContain(streamerToken);
  });

  it('disconnects a moderator mid-chat when the token is revoked, and refuses it afterwards', async () => {
    const mod = await json<{ id: string; token: string }>('moderators', 'add', 'live', '--label', 'Otto');
    const { socket: otto } = await join({ name: 'Otto', token: mod.token });
    const { socket: viewer } = await join({ name: 'Bob' });
    const sent = await otto.timeout(5000).emitWithAck('send', { text: 'still here', kind: 'chat' });
    expect(sent).toMatchObject({ ok: true });
    expect(await otto.timeout(5000).emitWithAck('moderate', { action: 'list-blocked-words' })).toMatchObject({ ok: true });

    const dropped = new Promise<string>((resolve) => otto.once('disconnect', (reason) => resolve(reason)));
    const revoked = await cli('moderators', 'revoke', mod.id);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `Token ${mod.id} ('Otto', moderator on 'live') revoked; 1 chat session disconnected.`]);
    expect(await dropped).toBe('io server disconnect');
    expect(viewer.connected).toBe(true);
    expect(await refused({ name: 'Otto', token: mod.token })).toMatchObject({ code: 'LR_CHAT_BAD_TOKEN' });
    const again = await cli('moderators', 'revoke', mod.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/revoked already/);
    expect((await cli('moderators', 'list', 'live')).stdout).not.toContain('Otto');
  });
});
