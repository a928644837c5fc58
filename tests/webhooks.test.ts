/**
 * Webhooks through the real parts: the server in process with a webhook
 * endpoint on loopback that answers 500 the first time, a real ffmpeg
 * publisher, and the built CLI reading the delivery log through the admin API.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ensureBuilt, runCli } from './helpers/cli-harness';
import { getText, publish, renditionUrl, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';
import { verifyWebhook } from '../webhooks/webhook-signature';
import type { WebhookAttempt } from '../storage/webhook-attempt-store';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ModerationAck, ServerToClientEvents } from '../chat/chat-events';

jest.setTimeout(120_000);

const SECRET = 'the-receivers-shared-secret-01';

interface Received {
  path: string;
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

describe('webhooks', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let server: http.Server;
  const got: Received[] = [];
  let hookCalls = 0;

  beforeAll(async () => {
    ensureBuilt();
    // /hook answers 500 the first time and 200 after; /recordings always 200.
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        got.push({ path: req.url!, at: Date.now(), headers: req.headers, body, json: JSON.parse(body) });
        const fail = req.url === '/hook' && ++hookCalls === 1;
        res.writeHead(fail ? 500 : 200).end(fail ? 'try again' : 'ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    h = await startLiveroom({
      transcoder: { defaultProfile: 'passthrough' },
      webhooks: [
        { url: `${base}/hook`, secret: SECRET, events: ['stream.started', 'stream.ended'] },
        { url: `${base}/recordings`, secret: SECRET, events: ['recording.ready'] },
        { url: `${base}/moderation`, secret: SECRET, events: ['chat.moderation'] },
      ],
      webhookDelivery: { retryBaseMs: 300, maxAttempts: 4, timeoutMs: 3000 },
    });
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const received = (type: string) => got.filter((g) => g.json.type === type);
  const verified = (g: Received) =>
    verifyWebhook(SECRET, g.headers['x-liveroom-signature'] as string, g.headers['x-liveroom-timestamp'] as string, g.body);

  it('tells the endpoint a stream started, signed, and retries after a 500', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(() => received('stream.started').length >= 2, 30_000, 'stream.started twice (500, then 200)');
    const [first, second] = received('stream.started');
    expect(first.path).toBe('/hook');
    expect(first.json).toMatchObject({ type: 'stream.started', data: { channel: 'live', broadcastId: expect.any(String) } });
    expect(Date.parse(first.json.createdAt)).not.toBeNaN();
    // One delivery, retried: the same body and delivery id, each attempt signed with its own timestamp.
    expect(second.body).toBe(first.body);
    expect(second.headers['x-liveroom-delivery']).toBe(first.headers['x-liveroom-delivery']);
    expect(second.at - first.at).toBeGreaterThanOrEqual(290);
    for (const g of [first, second]) {
      expect(g.headers['x-liveroom-event']).toBe('stream.started');
      expect(g.headers['content-type']).toBe('application/json');
      expect(verified(g)).toBe(true);
      expect(verifyWebhook('not-the-secret-at-all-0000', g.headers['x-liveroom-signature'] as string, g.headers['x-liveroom-timestamp'] as string, g.body)).toBe(false);
    }
    // Something to record before the stream ends.
    const url = await until(() => renditionUrl(h.base, 'source'), 30_000, 'the source rendition');
    await until(async () => parseMedia((await getText(url)).text).segments.length >= 2, 30_000, 'two segments');
  });

  it('tells it the stream ended, and the recording is ready, when the publisher stops', async () => {
    const started = received('stream.started')[0].json.data;
    await pub!.stop();
    pub = undefined;
    await until(() => received('stream.ended').length >= 1 && received('recording.ready').length >= 1, 30_000, 'stream.ended and recording.ready');
    const ended = received('stream.ended');
    expect(ended).toHaveLength(1); // the endpoint answered 200 at once: no retry
    expect(ended[0].json.data).toMatchObject({ channel: 'live', broadcastId: started.broadcastId });
    expect(verified(ended[0])).toBe(true);
    const ready = received('recording.ready')[0];
    expect(ready.path).toBe('/recordings');
    expect(ready.json.data).toMatchObject({ channel: 'live', recordingId: started.broadcastId, status: 'complete', duration: expect.any(Number) });
    expect(verified(ready)).toBe(true);
  });

  it("tells it of a moderator's action in the chat", async () => {
    const token = fs.readFileSync(path.join(h.dataDir, 'admin-token'), 'utf8').trim();
    const env = { ...process.env, LIVEROOM_SERVER: h.base, LIVEROOM_ADMIN_TOKEN: token, LIVEROOM_CONFIG: '' };
    const added = await runCli(['moderators', 'add', 'live', '--label', 'Mia', '--json'], env);
    expect(added.code).toBe(0);
    const mia = JSON.parse(added.stdout) as { token: string };
    const chat: Socket<ServerToClientEvents, ClientToServerEvents> = ioClient(h.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: 'Mia', token: mia.token },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        chat.once('welcome', () => resolve());
        chat.once('connect_error', reject);
      });
      const ack = await new Promise<ModerationAck>((resolve) => chat.emit('moderate', { action: 'slow-mode', seconds: 10 }, resolve));
      expect(ack.ok).toBe(true);
      await until(() => received('chat.moderation').length === 1, 10_000, 'chat.moderation');
      const m = received('chat.moderation')[0];
      expect(m.path).toBe('/moderation');
      expect(m.json.data).toMatchObject({ channel: 'live', action: 'slow-mode', actor: { name: 'Mia', role: 'moderator' }, details: { seconds: 10 } });
      expect(verified(m)).toBe(true);
    } finally {
      chat.disconnect();
    }
  });

  it('`liveroom webhooks log` shows every attempt, the 500 and the retry among them', async () => {
    const token = fs.readFileSync(path.join(h.dataDir, 'admin-token'), 'utf8').trim();
    const env = { ...process.env, LIVEROOM_SERVER: h.base, LIVEROOM_ADMIN_TOKEN: token, LIVEROOM_CONFIG: '' };
    const json = await runCli(['webhooks', 'log', '--limit', '10', '--json'], env);
    expect(json.code).toBe(0);
    const deliveries = (JSON.parse(json.stdout) as { deliveries: WebhookAttempt[] }).deliveries;
    const started = deliveries.filter((d) => d.event === 'stream.started');
    expect(started.map((d) => [d.attempt, d.status])).toEqual([[2, 200], [1, 500]]);
    expect(started[0].deliveryId).toBe(started[1].deliveryId);
    expect(deliveries.filter((d) => d.event === 'stream.ended').map((d) => [d.attempt, d.status])).toEqual([[1, 200]]);

    const text = await runCli(['webhooks', 'log'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^TIME\s+EVENT\s+URL\s+ATTEMPT\s+RESULT\s+DURATION\s+DELIVERY$/m);
    expect(text.stdout).toMatch(/stream\.started\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+1\s+500\s/);
    expect(text.stdout).toMatch(/stream\.started\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+2\s+200\s/);

    const refused = await runCli(['webhooks', 'log'], { ...env, LIVEROOM_ADMIN_TOKEN: 'wrong-token-wrong-token' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/LR_ADMIN_UNAUTHORIZED|admin token/);
    const bad = await runCli(['webhooks', 'log', '--limit', '0'], env);
    expect(bad.code).toBe(2);
  });
});
