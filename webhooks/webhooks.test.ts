/**
 * Webhook delivery against real HTTP endpoints on loopback: backoff between
 * retries up to the attempt limit, the SQLite delivery log and its bound, and
 * a stop that does not wait for an endpoint that never answers.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { webhookDeliverySchema } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';
import { Webhooks } from './webhooks';
import { verifyWebhook, webhookSignature } from './webhook-signature';

const SECRET = 'a-webhook-secret-of-some-length';

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver(answer: (n: number) => number | 'hang') {
  const got: Received[] = [];
  const pending: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ at: Date.now(), headers: req.headers, body });
      const a = answer(got.length);
      if (a !== 'hang') res.writeHead(a).end();
      else pending.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return {
    got,
    url,
    answerPending: (status: number) => pending.splice(0).forEach((res) => res.writeHead(status).end()),
    close: () => {
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      return closed;
    },
  };
}

const until = async (fn: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Webhooks', () => {
  let dir: string;
  let stores: SqliteStores;
  const bus = new TypedEmitter<LiveroomEvents>();
  const log = pino({ level: 'silent' });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-webhooks-'));
    stores = SqliteStores.open(dir);
  });
  afterEach(async () => {
    await stores.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('signs each attempt and retries with a doubling wait until the attempt limit, logging every attempt', async () => {
    const r = await receiver(() => 500);
    const delivery = webhookDeliverySchema.parse({ retryBaseMs: 100, maxAttempts: 3 });
    const hooks = new Webhooks({ endpoints: [{ url: r.url, secret: SECRET }], delivery, bus, store: stores.webhookAttempts, log });
    hooks.start();
    try {
      bus.emit('broadcast:started', { channel: 'live', broadcastId: 'b1', startedAt: Date.now() });
      await until(async () => (await stores.webhookAttempts.list(10)).length === 3);
      await new Promise((res) => setTimeout(res, 600)); // no fourth
      expect(r.got).toHaveLength(3);
      expect(r.got[1].at - r.got[0].at).toBeGreaterThanOrEqual(95);
      expect(r.got[2].at - r.got[1].at).toBeGreaterThanOrEqual(195);
      for (const g of r.got) {
        const ts = g.headers['x-liveroom-timestamp'] as string;
        expect(g.headers['x-liveroom-signature']).toBe(webhookSignature(SECRET, ts, g.body));
        expect(verifyWebhook(SECRET, g.headers['x-liveroom-signature'] as string, ts, g.body)).toBe(true);
        expect(verifyWebhook('another-secret-entirely', g.headers['x-liveroom-signature'] as string, ts, g.body)).toBe(false);
      }
      expect(new Set(r.got.map((g) => g.headers['x-liveroom-delivery'])).size).toBe(1);
      const log3 = await stores.webhookAttempts.list(10);
      expect(log3.map((a) => [a.attempt, a.status, a.event])).toEqual([[3, 500, 'stream.started'], [2, 500, 'stream.started'], [1, 500, 'stream.started']]);
    } finally {
      await hooks.stop();
      await r.close();
    }
  });

  it("agrees with the README's verification snippet", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const code = /In Node:\n\n```js\n([\s\S]*?)```/.exec(readme)![1];
    const verify = new Function('require', `${code}\nreturn verify;`)(require) as (s: string, req: { headers: Record<string, string> }, body: string) => boolean;
    const body = JSON.stringify({ id: 'evt_1', type: 'stream.ended', createdAt: new Date().toISOString(), data: {} });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = { 'x-liveroom-timestamp': timestamp, 'x-liveroom-signature': webhookSignature(SECRET, timestamp, body) };
    expect(verify(SECRET, { headers }, body)).toBe(true);
    expect(verify(SECRET, { headers }, body.replace('ended', 'started'))).toBe(false);
    expect(verify(SECRET, { headers: { ...headers, 'x-liveroom-timestamp': String(Number(timestamp) - 3600) } }, body)).toBe(false);
  });

  it('keeps only the newest attempts in the log', async () => {
    const a = { deliveryId: 'd', eventId: 'e', event: 'stream.ended', url: 'http://x', status: 200, error: null, durationMs: 1, at: 1 };
    for (let i = 1; i <= 25; i++) await stores.webhookAttempts.add({ ...a, attempt: i }, 10);
    const kept = await stores.webhookAttempts.list(100);
    expect(kept.map((k) => k.attempt)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
  });

  it('sends only the events an endpoint asked for', async () => {
    const r = await receiver(() => 204);
    const delivery = webhookDeliverySchema.parse({});
    const hooks = new Webhooks({ endpoints: [{ url: r.url, secret: SECRET, events: ['chat.moderation'] }], delivery, bus, store: stores.webhookAttempts, log });
    hooks.start();
    try {
      bus.emit('broadcast:started', { channel: 'live', broadcastId: 'b2', startedAt: Date.now() });
      bus.emit('chat:moderation', { channel: 'live', action: 'ban', actor: { id: 'm1', name: 'Mia', role: 'moderator' }, details: { userId: 'u1' }, at: Date.now() });
      await until(() => r.got.length === 1);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.got).toHaveLength(1);
      const body = JSON.parse(r.got[0].body);
      expect(body).toMatchObject({ type: 'chat.moderation', data: { channel: 'live', action: 'ban', details: { userId: 'u1' } } });
      expect(r.got[0].headers['x-liveroom-event']).toBe('chat.moderation');
    } finally {
      await hooks.stop();
      await r.close();
    }
  });

  it('gives up on an attempt after the timeout, and retries it', async () => {
    const r = await receiver(() => 'hang');
    const delivery = webhookDeliverySchema.parse({ timeoutMs: 200, retryBaseMs: 50, maxAttempts: 2 });
    const hooks = new Webhooks({ endpoints: [{ url: r.url, secret: SECRET }], delivery, bus, store: stores.webhookAttempts, log });
    hooks.start();
    try {
      bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'b6', endedAt: Date.now() });
      await until(async () => (await stores.webhookAttempts.list(10)).length === 2);
      const attempts = await stores.webhookAttempts.list(10);
      expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([[2, null, 'timeout after 200 ms'], [1, null, 'timeout after 200 ms']]);
      for (const a of attempts) expect(a.durationMs).toBeGreaterThanOrEqual(190);
    } finally {
      await hooks.stop();
      await r.close();
    }
  });

  it('lets an attempt in flight finish within the grace of stop, and schedules no retry after it', async () => {
    const r = await receiver((n) => (n === 1 ? 'hang' : 500));
    const delivery = webhookDeliverySchema.parse({ retryBaseMs: 10 });
    const hooks = new Webhooks({ endpoints: [{ url: r.url, secret: SECRET }], delivery, bus, store: stores.webhookAttempts, log });
    hooks.start();
    bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'b5', endedAt: Date.now() });
    await until(() => r.got.length === 1);
    const stopped = hooks.stop(2000);
    r.answerPending(500); // the endpoint answers during the grace: a failure, but stopping
    await stopped;
    await new Promise((res) => setTimeout(res, 200));
    expect(r.got).toHaveLength(1);
    expect(await stores.webhookAttempts.list(10)).toEqual([expect.objectContaining({ attempt: 1, status: 500 })]);
    await r.close();
  });

  it('does not hold up stop: an endpoint that never answers is aborted after the grace, and no retry follows', async () => {
    const r = await receiver(() => 'hang');
    const delivery = webhookDeliverySchema.parse({ timeoutMs: 30_000, retryBaseMs: 10 });
    const hooks = new Webhooks({ endpoints: [{ url: r.url, secret: SECRET }], delivery, bus, store: stores.webhookAttempts, log });
    hooks.start();
    bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'b3', endedAt: Date.now() });
    await until(() => r.got.length === 1);
    const t0 = Date.now();
    await hooks.stop(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await stores.webhookAttempts.list(10)).toEqual([expect.objectContaining({ attempt: 1, status: null, error: 'server stopping' })]);
    bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'b4', endedAt: Date.now() });
    await new Promise((res) => setTimeout(res, 200));
    expect(r.got).toHaveLength(1);
    await r.close();
  });
});
