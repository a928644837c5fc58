/**
 * Chat limits across connections, through the real server and real
 * socket.io-client WebSockets from several loopback addresses: open sockets
 * per address, the message bucket per address (many sockets, fresh
 * identities), a forged X-Forwarded-For not believed from a direct client,
 * and the Origin check at the handshake.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChatError, SendAck } from '../chat/chat-events';
import { startLiveroom, until, type Harness } from './helpers/liveroom-harness';
import { joinChat, type ChatSocket } from './helpers/loopback-client';

let h: Harness;
const sockets: ChatSocket[] = [];
const join = (opts: Parameters<typeof joinChat>[1] = {}) => {
  const j = joinChat(h.base, opts);
  sockets.push(j.socket);
  return j;
};
const send = (s: ChatSocket, text: string) => (s.timeout(3000) as unknown as { emitWithAck(e: string, p: unknown): Promise<SendAck> }).emitWithAck('send', { text });

/** A streamer token made through the admin API, with the token the server wrote to its data folder. */
async function streamerToken(): Promise<string> {
  const admin = fs.readFileSync(path.join(h.room.config.dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${h.base}/api/admin/channels/live/moderators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'Host', role: 'streamer' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

beforeAll(async () => {
  h = await startLiveroom({
    http: { trustedProxies: ['127.0.0.1'], allowedOrigins: ['https://embed.example'] },
    // Per address: 12 messages, then (practically) no refill during the test.
    chat: { maxSocketsPerAddress: 20, messageBurstPerAddress: 12, messagesPerSecondPerAddress: 0.01 },
  });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await h?.stop();
});

describe('chat sockets per address', () => {
  it('accepts chat.maxSocketsPerAddress connections from one address, forged X-Forwarded-For or not, and refuses the next', async () => {
    const forged = (i: number) => ({ localAddress: '127.0.0.2', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    const first = Array.from({ length: 20 }, (_, i) => join(forged(i)));
    await Promise.all(first.map((j) => j.welcome));
    expect(h.room.chat!.socketsOpen('127.0.0.2')).toBe(20);
    const refused = (await join(forged(99)).welcome.catch((e: ChatError) => e)) as ChatError;
    expect(refused).toMatchObject({ code: 'LR_CHAT_TOO_MANY_SOCKETS' });
    expect(refused.message).toMatch(/at most 20/);

    // Another address is unaffected; so is a viewer the trusted proxy forwards.
    await join({ localAddress: '127.0.0.3' }).welcome;
    await join({ localAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.4' } }).welcome;
    expect(h.room.chat!.socketsOpen('198.51.100.4')).toBe(1);

    // A closed connection frees its slot.
    first[0].socket.disconnect();
    await until(() => h.room.chat!.socketsOpen('127.0.0.2') === 19, 3000, 'the slot to be freed');
    await join(forged(100)).welcome;
    for (const j of first) j.socket.disconnect();
    await until(() => h.room.chat!.socketsOpen('127.0.0.2') === 1, 3000, 'the sockets to close');
  });
});

describe('messages per address', () => {
  it('limits one address with many sockets and fresh identities to its bucket, whatever each connection may send', async () => {
    const many = Array.from({ length: 8 }, () => join({ localAddress: '127.0.0.4' }));
    await Promise.all(many.map((j) => j.welcome));
    // 8 connections × 5 (each one's own burst) = 40 attempts; the address may send 12.
    const acks = await Promise.all(many.flatMap((j, i) => Array.from({ length: 5 }, (_, k) => send(j.socket, `spam ${i}.${k}`))));
    const sent = acks.filter((a) => a.ok);
    expect(sent).toHaveLength(12);
    const limited = acks.filter((a): a is Extract<SendAck, { ok: false }> => !a.ok);
    expect(limited).toHaveLength(28);
    expect(limited[0].error).toMatchObject({ code: 'LR_CHAT_RATE_LIMITED', message: expect.stringMatching(/your address/) });
    expect(limited[0].error.retryAfterMs).toBeGreaterThan(0);

    // The streamer on the same address is not held back by it; another address still talks.
    const token = await streamerToken();
    const host = join({ localAddress: '127.0.0.4', auth: { name: 'Host', token } });
    await host.welcome;
    expect((await send(host.socket, 'welcome everyone')).ok).toBe(true);
    const other = join({ localAddress: '127.0.0.5' });
    await other.welcome;
    expect((await send(other.socket, 'hello')).ok).toBe(true);
  });
});

describe('origins', () => {
  it('refuses a handshake from another site, accepts its own origin, configured ones and clients without an Origin', async () => {
    const host = new URL(h.base).host;
    const refused = await join({ localAddress: '127.0.0.6', headers: { origin: 'https://evil.example' } }).welcome.then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    expect(refused).not.toBe('accepted');
    expect(h.room.chat!.socketsOpen('127.0.0.6')).toBe(0);
    await join({ localAddress: '127.0.0.6', headers: { origin: `http://${host}` } }).welcome;
    await join({ localAddress: '127.0.0.6', headers: { origin: 'https://embed.example' } }).welcome;
    await join({ localAddress: '127.0.0.6' }).welcome;
    // The refusal happens at the HTTP handshake: a polling request from another origin gets 403.
    const res = await fetch(`${h.base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect((await fetch(`${h.base}/socket.io/?EIO=4&transport=polling`)).status).toBe(200);
  });
});
