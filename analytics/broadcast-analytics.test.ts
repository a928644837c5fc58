import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { LiveroomEvents } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { openDatabase } from '../storage/sqlite/sqlite-database';
import { SqliteAnalyticsStore } from '../storage/sqlite/sqlite-analytics-store';
import { BroadcastAnalytics } from './broadcast-analytics';
import { BroadcastTally } from './broadcast-tally';

describe('BroadcastTally', () => {
  it('integrates viewers between samples, keeps the peak, counts distinct viewers and chatters, likes since the start', async () => {
    const t = new BroadcastTally({ broadcastId: 'b1', channel: 'live', startedAt: 0, sampleIntervalMs: 10_000 }, 100);
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.1']) t.hlsRequest(a);
    t.message('chat', 'ann');
    t.message('chat', 'ann');
    t.message('danmaku', 'bob');
    t.mediaServed('source', 1000);
    t.mediaServed('source', 500);
    t.mediaServed('360p', 200);
    t.share();
    expect(t.sample(10_000, { count: 1, keys: ['chat:ann'] }, 104)).toEqual({ at: 10_000, hls: 2, chat: 1, viewers: 2 });
    // Nobody fetched HLS in this interval: the chat's 3 are the viewers.
    expect(t.sample(20_000, { count: 3, keys: ['chat:ann', 'chat:bob', 'player:10.0.0.9'] }, 110)).toEqual({ at: 20_000, hls: 0, chat: 3, viewers: 3 });
    t.hlsRequest('10.0.0.3');
    expect(t.sample(25_000, { count: 0, keys: [] }, 110).viewers).toBe(1);
    expect(t.summary).toMatchObject({
      peakViewers: 3,
      watchSeconds: 2 * 10 + 3 * 10 + 1 * 5,
      uniqueViewers: 3,
      messages: 2,
      danmaku: 1,
      chatters: 2,
      likes: 10,
      shares: 1,
      sampledAt: 25_000,
      renditions: { source: { requests: 2, bytes: 1500 }, '360p': { requests: 1, bytes: 200 } },
    });
    t.close(25_000, 'complete');
    expect(t.summary).toMatchObject({ endedAt: 25_000, status: 'complete' });
  });

  it('stores no identity: distinct counts come from hashes salted per broadcast', async () => {
    const a = new BroadcastTally({ broadcastId: 'b1', channel: 'live', startedAt: 0, sampleIntervalMs: 1000 }, 0);
    a.message('chat', 'viewer-xq7');
    a.hlsRequest('10.9.8.7');
    a.sample(1000, { count: 1, keys: ['chat:viewer-xq7'] }, 0);
    expect(a.summary).toMatchObject({ chatters: 1, uniqueViewers: 1 });
    expect(JSON.stringify(a.summary)).not.toMatch(/viewer-xq7|10\.9\.8\.7/);
  });
});

describe('BroadcastAnalytics', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-analytics-'));
  const db = openDatabase(dir);
  const store = new SqliteAnalyticsStore(db);
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const make = (now: { t: number }, audience = { count: 0, keys: [] as string[] }) => {
    const bus = new TypedEmitter<LiveroomEvents>();
    let likes = 7;
    const analytics = new BroadcastAnalytics({
      config: { enabled: true, sampleIntervalMs: 60_000 },
      bus,
      store,
      chatAudience: () => audience,
      likes: async () => likes,
      log: pino({ level: 'silent' }),
      clock: () => now.t,
    });
    return { bus, analytics, like: (n: number) => (likes += n), audience };
  };

  it('samples each broadcast on air into the store, finalises it at its end, and lists the newest first with averages', async () => {
    const now = { t: 1_000_000 };
    const { bus, analytics, like, audience } = make(now);
    await analytics.start();
    bus.emit('broadcast:started', { channel: 'live', broadcastId: 'aaaa0001', startedAt: now.t });
    await analytics.idle();
    expect((await store.get('aaaa0001'))).toMatchObject({ status: 'live', peakViewers: 0 });
    analytics.hlsRequest('live', '10.0.0.1');
    analytics.hlsRequest('other', '10.0.0.2'); // no broadcast there: not counted
    bus.emit('chat:message', { channel: 'live', kind: 'chat', role: 'viewer', authorId: 'ann' });
    bus.emit('channel:shared', { channel: 'live', broadcastId: null, method: 'copy' });
    like(3);
    now.t += 10_000;
    await analytics.tick();
    expect((await store.get('aaaa0001'))).toMatchObject({ status: 'live', peakViewers: 1, watchSeconds: 10, messages: 1, chatters: 1, likes: 3, shares: 1 });
    audience.count = 4;
    audience.keys = ['chat:a', 'chat:b', 'chat:c', 'chat:d'];
    now.t += 10_000;
    bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'aaaa0001', endedAt: now.t });
    await analytics.idle();
    const done = (await analytics.get('aaaa0001'));
    expect(done).toMatchObject({ status: 'complete', endedAt: now.t, peakViewers: 4, uniqueViewers: 4, watchSeconds: 50, durationSeconds: 20, averageViewers: 2.5 });
    expect(done.samples).toEqual([
      { at: 1_010_000, hls: 1, chat: 0, viewers: 1 },
      { at: 1_020_000, hls: 0, chat: 4, viewers: 4 },
    ]);
    // Events after the end count for nothing.
    bus.emit('chat:message', { channel: 'live', kind: 'chat', role: 'viewer', authorId: 'bob' });
    await analytics.idle();
    expect((await analytics.get('aaaa0001')).messages).toBe(1);
    expect((await analytics.list('live', 10)).map((b) => b.broadcastId)).toEqual(['aaaa0001']);
    await expect(analytics.get('ffff0000')).rejects.toThrow(expect.objectContaining({ code: 'LR_ANALYTICS_NOT_FOUND', status: 404 }));
    await analytics.stop();
  });

  it('keeps what was sampled of a broadcast cut by a crash, closed as interrupted at the next start', async () => {
    const now = { t: 2_000_000 };
    const first = make(now);
    await first.analytics.start();
    first.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'bbbb0001', startedAt: now.t });
    first.analytics.hlsRequest('live', '10.0.0.1');
    now.t += 5000;
    await first.analytics.tick();
    // The process dies here: no stop, no end. The next start closes it at its last sample.
    const second = make(now);
    now.t += 60_000;
    await second.analytics.start();
    expect((await second.analytics.get('bbbb0001'))).toMatchObject({ status: 'interrupted', endedAt: 2_005_000, peakViewers: 1, watchSeconds: 5, samples: [{ at: 2_005_000, viewers: 1 }] });
    await second.analytics.stop();
    await first.analytics.stop();
  });

  it('stop() stores a broadcast still on air as interrupted and releases its listeners and timer', async () => {
    const now = { t: 3_000_000 };
    const { bus, analytics } = make(now);
    await analytics.start();
    bus.emit('broadcast:started', { channel: 'live', broadcastId: 'cccc0001', startedAt: now.t });
    now.t += 1000;
    await analytics.stop();
    expect((await store.get('cccc0001'))).toMatchObject({ status: 'interrupted', endedAt: 3_001_000 });
    bus.emit('broadcast:started', { channel: 'live', broadcastId: 'cccc0002', startedAt: now.t });
    await analytics.idle();
    expect((await store.get('cccc0002'))).toBeUndefined();
  });
});
