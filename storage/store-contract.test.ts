import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashSecret } from '../core/secrets';
import { StreamKeys } from '../ingest/stream-keys';
import { startPostgres, type TestPostgres } from '../tests/helpers/postgres';
import type { NewModerationLogRecord, SanctionRecord } from './chat-moderation-store';
import type { StoredMessage } from './chat-message-store';
import type { Stores } from './stores';
import { PostgresStores } from './postgres/postgres-stores';
import { SqliteStores } from './sqlite/sqlite-stores';

/**
 * One contract, both backends: every store's methods behave the same on SQLite (the embedded default) and on
 * PostgreSQL (a server of the test's own, tests/helpers/postgres.ts; missing binaries fail the run).
 */
interface Backend {
  stores: Stores;
  /** Closes and opens the same database again (a restart; migrations run again and find nothing to do). */
  reopen(): Promise<Stores>;
  cleanup(): Promise<void>;
}

let server: TestPostgres | undefined;
afterAll(async () => {
  await server?.stop();
});

const BACKENDS: [string, () => Promise<Backend>][] = [
  [
    'sqlite',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-contract-'));
      let stores: Stores = SqliteStores.open(dir);
      return {
        stores,
        reopen: async () => {
          await stores.close();
          return (stores = SqliteStores.open(dir));
        },
        cleanup: async () => {
          await stores.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'postgres',
    async () => {
      server ??= await startPostgres();
      const url = await server.createDatabase();
      let stores: Stores = await PostgresStores.connect(url);
      return {
        stores,
        reopen: async () => {
          await stores.close();
          return (stores = await PostgresStores.connect(url));
        },
        cleanup: () => stores.close(),
      };
    },
  ],
];

/**
 * Resolves with the rejection's message. Not `rejects.toThrow()`: under --runInBand, better-sqlite3's native
 * addon keeps the error class of the first test file that loaded it, which is not an Error of this file's realm.
 */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { message?: unknown }).message ?? err);
  }
  throw new Error('expected a rejection; it resolved');
}

const message = (id: string, ts: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id, channel: 'live', ts, kind: 'chat', text: `text ${id}`, mode: null, color: null, authorId: 'a'.repeat(24), authorName: 'Ann', authorRole: 'viewer', ...extra,
});

const logRecord = (action: string, ts: number, extra: Partial<NewModerationLogRecord> = {}): NewModerationLogRecord => ({
  channel: 'live', ts, action, actorId: 'mod', actorName: 'Mia', actorRole: 'moderator', targetUserId: null, targetMessageId: null, detail: { n: 1, nested: { ok: true } }, ...extra,
});

const sanction = (userId: string, kind: 'ban' | 'timeout', createdAt: number, until: number | null, address: string | null = null): SanctionRecord => ({
  channel: 'live', kind, userId, address, reason: 'because', until, createdAt, createdBy: 'mod',
});

describe.each(BACKENDS)('stores on %s', (_name, open) => {
  let b: Backend;
  let s: Stores;
  beforeEach(async () => {
    b = await open();
    s = b.stores;
  });
  afterEach(async () => {
    await b.cleanup();
  });

  it('channels: create, list, profile, partial info; a name is taken once', async () => {
    expect(await s.channels.get('live')).toBeUndefined();
    const live = await s.channels.create('live');
    expect(live).toMatchObject({ name: 'live', title: 'live', description: '', offlineMessage: '', profile: null });
    await new Promise((r) => setTimeout(r, 5));
    await s.channels.create('b-side', 'B side');
    expect(await rejection(s.channels.create('live'))).toMatch(/unique/i);
    expect((await s.channels.list()).map((c) => c.name)).toEqual(['live', 'b-side']); // oldest first
    await s.channels.setProfile('live', 'abr-3');
    await s.channels.setInfo('live', { title: 'Live now', description: 'About it' });
    await s.channels.setInfo('live', { offlineMessage: 'Back soon' });
    expect(await s.channels.get('live')).toMatchObject({ title: 'Live now', description: 'About it', offlineMessage: 'Back soon', profile: 'abr-3' });
    await s.channels.setProfile('live', null);
    expect((await s.channels.get('live'))?.profile).toBeNull();
  });

  it('stream keys: digests only, revocation, and a labelled key set atomically and idempotently', async () => {
    await s.channels.create('live');
    const keys = new StreamKeys(s.channels);
    const { key, info } = await keys.create('live', 'default');
    expect(await keys.channelForKey(key)).toBe('live');
    expect(await keys.channelForKey('nope')).toBeUndefined();
    expect(await keys.channelForKey('')).toBeUndefined();
    expect(JSON.stringify(await s.channels.listKeys())).not.toContain(key);
    expect(await keys.revoke(info.id)).toBe(true);
    expect(await keys.revoke(info.id)).toBe(false);
    expect(await keys.channelForKey(key)).toBeUndefined();

    await keys.setByLabel('live', 'obs', 'fixed-key-123');
    await keys.setByLabel('live', 'obs', 'fixed-key-123');
    expect(await keys.channelForKey('fixed-key-123')).toBe('live');
    expect(await keys.hasActive('live', 'obs')).toBe(true);
    await keys.setByLabel('live', 'obs', 'other-key-456');
    expect(await keys.channelForKey('fixed-key-123')).toBeUndefined();
    expect(await keys.channelForKey('other-key-456')).toBe('live');
    // Back to the first key: its revoked record is replaced, not duplicated.
    await keys.setByLabel('live', 'obs', 'fixed-key-123');
    expect(await keys.channelForKey('fixed-key-123')).toBe('live');
    const obs = (await s.channels.listKeys('live')).filter((k) => k.label === 'obs');
    expect(obs.filter((k) => k.revokedAt === null)).toHaveLength(1);
    expect(obs).toHaveLength(2);
    // Two at once (two nodes starting with LIVEROOM_STREAM_KEY): still one active key under the label.
    await Promise.all([keys.setByLabel('live', 'race', 'race-key-0001'), keys.setByLabel('live', 'race', 'race-key-0001')]);
    expect((await s.channels.listKeys('live')).filter((k) => k.label === 'race' && k.revokedAt === null)).toHaveLength(1);
    expect(await s.channels.activeKeyByHash(hashSecret('race-key-0001'))).toMatchObject({ channel: 'live', label: 'race', revokedAt: null, keyHash: hashSecret('race-key-0001') });
  });

  it('chat messages: durable insert, history, lookups, ranges, deletion and retention', async () => {
    for (let i = 1; i <= 5; i++) await s.messages.insert(message(`m${i}`, 1000 * i, i === 3 ? { kind: 'danmaku', mode: 'top', color: '#fe0302' } : {}));
    await s.messages.insert(message('x1', 2500, { channel: 'other', authorId: 'b'.repeat(24) }));
    expect(await rejection(s.messages.insert(message('m1', 9999)))).toMatch(/unique/i);
    expect((await s.messages.recent('live', 3)).map((m) => m.id)).toEqual(['m3', 'm4', 'm5']);
    expect(await s.messages.recent('live', 0)).toEqual([]);
    expect(await s.messages.get('m3')).toEqual(message('m3', 3000, { kind: 'danmaku', mode: 'top', color: '#fe0302' }));
    expect(await s.messages.get('zz')).toBeUndefined();
    expect(await s.messages.lastMessageTs('live', 'a'.repeat(24))).toBe(5000);
    expect(await s.messages.lastMessageTs('live', 'c'.repeat(24))).toBeUndefined();
    expect((await s.messages.between('live', 2000, 4000, 10)).map((m) => m.id)).toEqual(['m2', 'm3', 'm4']);
    expect((await s.messages.between('live', 2000, 4000, 2)).map((m) => m.id)).toEqual(['m2', 'm3']);
    expect(await s.messages.countBetween('live', 2000, 4000)).toBe(3);
    expect(await s.messages.remove('m2')).toBe(true);
    expect(await s.messages.remove('m2')).toBe(false);
    expect(await s.messages.get('m2')).toBeUndefined();
    expect(await s.messages.purgeBefore(3500)).toBe(3); // m1, m3 and the other channel's x1
    expect((await s.messages.recent('live', 10)).map((m) => m.id)).toEqual(['m4', 'm5']);
  });

  it('moderation: users, slow mode, timeouts, bans by id and address, lifting, each with its log entry', async () => {
    await s.moderation.touchUser({ id: 'u1', name: 'Vic', address: '203.0.113.7' }, 100);
    await s.moderation.touchUser({ id: 'u1', name: 'Victor', address: '203.0.113.8' }, 200);
    expect(await s.moderation.user('u1')).toEqual({ id: 'u1', name: 'Victor', address: '203.0.113.8' });
    expect(await s.moderation.user('u2')).toBeUndefined();

    expect(await s.moderation.slowModeSeconds('live')).toBeUndefined();
    await s.moderation.setSlowMode('live', 5, logRecord('slow-mode', 1));
    await s.moderation.setSlowMode('live', 10, logRecord('slow-mode', 2));
    expect(await s.moderation.slowModeSeconds('live')).toBe(10);

    await s.moderation.addSanction(sanction('u1', 'timeout', 1000, 61_000), logRecord('timeout', 3, { targetUserId: 'u1' }));
    expect(await s.moderation.timeoutUntil('live', 'u1', 2000)).toBe(61_000);
    expect(await s.moderation.timeoutUntil('live', 'u1', 61_000)).toBeUndefined();
    expect(await s.moderation.timeoutUntil('other', 'u1', 2000)).toBeUndefined();
    await s.moderation.addSanction(sanction('u2', 'timeout', 1000, 30_000), logRecord('timeout', 3, { targetUserId: 'u2' }));
    await s.moderation.addSanction(sanction('u2', 'timeout', 1000, 40_000), logRecord('timeout', 3, { targetUserId: 'u2' }));
    expect(await s.moderation.runningTimeouts('live', 2000)).toEqual(new Map([['u1', 61_000], ['u2', 40_000]]));
    expect(await s.moderation.runningTimeouts('live', 45_000)).toEqual(new Map([['u1', 61_000]]));
    expect(await s.moderation.runningTimeouts('other', 2000)).toEqual(new Map());
    expect(await s.moderation.isBanned('live', 'u1', '198.51.100.1')).toBe(false);

    await s.moderation.addSanction(sanction('u3', 'ban', 1000, null, '203.0.113.9'), logRecord('ban', 4, { targetUserId: 'u3' }));
    expect(await s.moderation.isBanned('live', 'u3', '198.51.100.1')).toBe(true);
    expect(await s.moderation.isBanned('live', 'someone-else', '203.0.113.9')).toBe(true);
    expect(await s.moderation.isBanned('other', 'u3', '203.0.113.9')).toBe(false);

    expect(await s.moderation.liftSanctions('live', 'u3', 5000, 'mod', logRecord('unban', 5, { targetUserId: 'u3' }))).toBe(true);
    expect(await s.moderation.liftSanctions('live', 'u3', 5000, 'mod', logRecord('unban', 6))).toBe(false); // nothing left: no log entry
    expect(await s.moderation.isBanned('live', 'u3', '203.0.113.9')).toBe(false);
    expect(await s.moderation.liftSanctions('live', 'u1', 5000, 'mod', logRecord('unban', 7))).toBe(true); // the running timeout
    expect(await s.moderation.timeoutUntil('live', 'u1', 6000)).toBeUndefined();

    const log = await s.moderation.logEntries('live', 10);
    expect(log.map((e) => e.action)).toEqual(['unban', 'unban', 'ban', 'timeout', 'timeout', 'timeout', 'slow-mode', 'slow-mode']);
    expect(log[0].id).toBeGreaterThan(log[1].id);
    expect(log[2]).toMatchObject({ channel: 'live', ts: 4, actorId: 'mod', actorName: 'Mia', actorRole: 'moderator', targetUserId: 'u3', targetMessageId: null, detail: { n: 1, nested: { ok: true } } });
    expect(await s.moderation.logEntries('live', 2)).toHaveLength(2);
  });

  it('moderation: a change whose log entry cannot be written is not made (one transaction)', async () => {
    const broken = logRecord('ban', 1, { actorId: null as never }); // NOT NULL: the log insert fails
    expect(await rejection(s.moderation.addSanction(sanction('u9', 'ban', 1000, null), broken))).toMatch(/not[- ]null/i);
    expect(await s.moderation.isBanned('live', 'u9', '')).toBe(false);
    expect(await rejection(s.moderation.setSlowMode('live', 30, broken))).toMatch(/not[- ]null/i);
    expect(await s.moderation.slowModeSeconds('live')).toBeUndefined();
    expect(await rejection(s.moderation.addBlockedWord('live', 'spam', 1, broken))).toMatch(/not[- ]null/i);
    expect(await s.moderation.blockedWords('live')).toEqual([]);
    expect(await s.moderation.logEntries('live', 10)).toEqual([]);
  });

  it('moderation: blocked words per channel, sorted; a no-op writes no log; retention by age', async () => {
    expect(await s.moderation.addBlockedWord('live', 'zebra', 1, logRecord('block-word', 1))).toBe(true);
    expect(await s.moderation.addBlockedWord('live', 'Apple', 1, logRecord('block-word', 2))).toBe(true);
    expect(await s.moderation.addBlockedWord('live', 'apple', 1, logRecord('block-word', 3))).toBe(true);
    expect(await s.moderation.addBlockedWord('live', 'zebra', 1, logRecord('block-word', 4))).toBe(false);
    expect(await s.moderation.blockedWords('live')).toEqual(['Apple', 'apple', 'zebra']);
    expect(await s.moderation.blockedWords('other')).toEqual([]);
    expect(await s.moderation.removeBlockedWord('live', 'zebra', logRecord('unblock-word', 5))).toBe(true);
    expect(await s.moderation.removeBlockedWord('live', 'zebra', logRecord('unblock-word', 6))).toBe(false);
    expect((await s.moderation.logEntries('live', 10)).map((e) => e.ts)).toEqual([5, 3, 2, 1]);

    await s.moderation.appendLog(logRecord('delete', 100, { targetMessageId: 'm1' }));
    await s.moderation.touchUser({ id: 'old', name: 'Gone', address: '203.0.113.1' }, 100);
    await s.moderation.touchUser({ id: 'new', name: 'Here', address: '203.0.113.2' }, 10_000);
    await s.moderation.addSanction(sanction('banned', 'ban', 100, null), logRecord('ban', 10_000));
    await s.moderation.addSanction(sanction('timed', 'timeout', 100, 200), logRecord('timeout', 10_000));
    await s.moderation.addSanction(sanction('running', 'timeout', 100, 99_000), logRecord('timeout', 10_000));
    expect(await s.moderation.purgeBefore(1000)).toEqual({ log: 5, users: 1, sanctions: 1 });
    expect(await s.moderation.user('old')).toBeUndefined();
    expect(await s.moderation.isBanned('live', 'banned', '')).toBe(true); // standing bans stay
    expect(await s.moderation.timeoutUntil('live', 'running', 1000)).toBe(99_000);
  });

  it('moderator tokens: by hash, per channel, revocation and last use', async () => {
    await s.moderatorTokens.insert({ id: 't1', channel: 'live', label: 'Mia', role: 'moderator', tokenHash: 'h1', createdAt: 10 });
    await s.moderatorTokens.insert({ id: 't2', channel: 'live', label: 'Sam', role: 'streamer', tokenHash: 'h2', createdAt: 20 });
    await s.moderatorTokens.insert({ id: 't3', channel: 'b-side', label: 'Otto', role: 'moderator', tokenHash: 'h3', createdAt: 5 });
    expect(await rejection(s.moderatorTokens.insert({ id: 't4', channel: 'live', label: 'Dup', role: 'moderator', tokenHash: 'h1', createdAt: 30 }))).toMatch(/unique/i);
    expect(await s.moderatorTokens.get('t2')).toEqual({ id: 't2', channel: 'live', label: 'Sam', role: 'streamer', tokenHash: 'h2', createdAt: 20, revokedAt: null, lastUsedAt: null });
    expect((await s.moderatorTokens.list('live')).map((t) => t.id)).toEqual(['t1', 't2']);
    expect((await s.moderatorTokens.list()).map((t) => t.id)).toEqual(['t3', 't1', 't2']);
    expect((await s.moderatorTokens.activeByHash('h1'))?.id).toBe('t1');
    await s.moderatorTokens.markUsed('t1', 99);
    expect((await s.moderatorTokens.get('t1'))?.lastUsedAt).toBe(99);
    expect(await s.moderatorTokens.revoke('t1', 100)).toBe(true);
    expect(await s.moderatorTokens.revoke('t1', 101)).toBe(false);
    expect(await s.moderatorTokens.activeByHash('h1')).toBeUndefined();
    expect((await s.moderatorTokens.get('t1'))?.revokedAt).toBe(100);
  });

  it('likes: atomic adds (many at once) and totals', async () => {
    expect(await s.likes.total('live')).toBe(0);
    expect(await s.likes.add('live', 3)).toBe(3);
    await Promise.all(Array.from({ length: 20 }, () => s.likes.add('live', 2)));
    expect(await s.likes.total('live')).toBe(43);
    expect(await s.likes.add('other', 1)).toBe(1);
  });

  it('transcode profiles: insert once, update, delete, JSON bodies round-trip', async () => {
    const body = { name: 'ladder', renditions: [{ name: 'source', copy: true }, { name: '240p', height: 240 }], encoder: 'auto' };
    expect(await s.profiles.insert('ladder', body, 10)).toBe(true);
    expect(await s.profiles.insert('ladder', body, 11)).toBe(false);
    expect(await s.profiles.insert('Alpha', { name: 'Alpha' }, 12)).toBe(true);
    expect(await s.profiles.get('ladder')).toEqual({ name: 'ladder', body, createdAt: 10, updatedAt: 10 });
    expect((await s.profiles.list()).map((p) => p.name)).toEqual(['Alpha', 'ladder']);
    expect(await s.profiles.update('ladder', { ...body, encoder: 'libx264' }, 20)).toBe(true);
    expect(await s.profiles.update('nope', body, 20)).toBe(false);
    expect(await s.profiles.get('ladder')).toMatchObject({ body: { encoder: 'libx264' }, createdAt: 10, updatedAt: 20 });
    expect(await s.profiles.delete('ladder')).toBe(true);
    expect(await s.profiles.delete('ladder')).toBe(false);
    expect(await s.profiles.get('ladder')).toBeUndefined();
  });

  it('recordings: totals per rendition and recording as segments are indexed; an id is never overwritten', async () => {
    const store = s.recordings;
    expect(await store.create({ id: 'aaaa0001', channel: 'live', title: 'One', startedAt: 1000 })).toBe(true);
    expect(await store.create({ id: 'aaaa0001', channel: 'other', title: 'Two', startedAt: 2000 })).toBe(false);
    await store.addRendition('aaaa0001', { name: 'source', width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'] });
    await store.addRendition('aaaa0001', { name: '360p', width: 640, height: 360, codecs: ['avc1.64001e'] });
    await store.addInitBytes('aaaa0001', 'source', 700);
    for (let msn = 0; msn < 3; msn++) {
      await store.addSegment('aaaa0001', { rendition: 'source', msn, initId: 0, duration: 1, programDateTime: 5000 + msn * 1000, discontinuity: msn === 2, bytes: 100_000 * (msn + 1) }, msn * 4);
    }
    await store.addSegment('aaaa0001', { rendition: '360p', msn: 0, initId: 0, duration: 1, programDateTime: 5000, discontinuity: false, bytes: 10_000 }, 1);
    expect(await store.get('aaaa0001')).toMatchObject({ channel: 'live', title: 'One', status: 'recording', duration: 3, bytes: 700 + 600_000 + 10_000, peakViewers: 8, renditions: ['source', '360p'], endedAt: null, thumbnail: false, likes: null });
    expect((await store.renditions('aaaa0001'))[0]).toEqual({ name: 'source', width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'], duration: 3, bytes: 600_700, segments: 3, peakBitrate: 2_400_000 });
    expect(await store.segments('aaaa0001', 'source')).toEqual([0, 1, 2].map((msn) => ({ rendition: 'source', msn, initId: 0, duration: 1, programDateTime: 5000 + msn * 1000, discontinuity: msn === 2, bytes: 100_000 * (msn + 1) })));
    expect((await store.unfinished()).map((r) => r.id)).toEqual(['aaaa0001']);
    await store.setStatus('aaaa0001', 'disk-full');
    await store.setThumbnail('aaaa0001', true);
    await store.finish('aaaa0001', { endedAt: 9000, status: 'complete', messages: 5, likes: 2 });
    expect(await store.unfinished()).toEqual([]);
    expect(await store.get('aaaa0001')).toMatchObject({ endedAt: 9000, status: 'complete', messages: 5, likes: 2, thumbnail: true });

    await store.create({ id: 'aaaa0002', channel: 'live', title: 'Two', startedAt: 3000 });
    await store.create({ id: 'bbbb0001', channel: 'other', title: 'B', startedAt: 2000 });
    expect((await store.list()).map((r) => r.id)).toEqual(['aaaa0002', 'bbbb0001', 'aaaa0001']);
    expect((await store.list({ channel: 'live' })).map((r) => r.id)).toEqual(['aaaa0002', 'aaaa0001']);
    expect((await store.list({ channel: 'live', before: 3000 })).map((r) => r.id)).toEqual(['aaaa0001']);
    expect((await store.list({ limit: 1 })).map((r) => r.id)).toEqual(['aaaa0002']);
    expect((await store.get('aaaa0002'))?.renditions).toEqual([]);
    expect(await store.channelsWithRecordings()).toEqual([{ channel: 'live', bytes: 610_700 }, { channel: 'other', bytes: 0 }]);

    expect(await store.delete('aaaa0001')).toBe(true);
    expect(await store.delete('aaaa0001')).toBe(false);
    expect(await store.get('aaaa0001')).toBeUndefined();
    expect(await store.renditions('aaaa0001')).toEqual([]);
    expect(await store.segments('aaaa0001', 'source')).toEqual([]);
  });

  it('recordings: per-channel settings, null meaning the server default', async () => {
    expect(await s.recordings.settings('live')).toEqual({ enabled: null, renditions: null });
    await s.recordings.setSettings('live', { enabled: false, renditions: ['source', '360p'] });
    expect(await s.recordings.settings('live')).toEqual({ enabled: false, renditions: ['source', '360p'] });
    await s.recordings.setSettings('live', { enabled: true, renditions: 'all' });
    expect(await s.recordings.settings('live')).toEqual({ enabled: true, renditions: 'all' });
    await s.recordings.setSettings('live', { enabled: null, renditions: 'top' });
    expect(await s.recordings.settings('live')).toEqual({ enabled: null, renditions: 'top' });
  });

  it('shares: per channel, per broadcast and by method; an unknown method is refused', async () => {
    expect(await s.shares.counts('live')).toEqual({ total: 0, byMethod: { native: 0, copy: 0, embed: 0 } });
    await s.shares.add('live', null, 'copy');
    await s.shares.add('live', 'b1', 'copy');
    await s.shares.add('live', 'b1', 'native');
    await s.shares.add('live', 'b2', 'embed');
    await s.shares.add('other', 'b3', 'copy');
    expect(await s.shares.counts('live')).toEqual({ total: 4, byMethod: { native: 1, copy: 2, embed: 1 } });
    expect(await s.shares.counts('live', 'b1')).toEqual({ total: 2, byMethod: { native: 1, copy: 1, embed: 0 } });
    expect((await s.shares.counts('live', 'b9')).total).toBe(0);
    expect((await s.shares.counts('other')).total).toBe(1);
    expect(await rejection(s.shares.add('live', null, 'fax' as never))).toMatch(/check constraint/i);
  });

  it('webhook attempts: newest first, only the newest kept', async () => {
    const a = { deliveryId: 'd1', eventId: 'e1', event: 'stream.started', url: 'https://example.test/hook', status: 500, error: null, durationMs: 12, at: 1000 };
    for (let i = 1; i <= 25; i++) await s.webhookAttempts.add({ ...a, attempt: i, status: i % 2 ? 500 : null, error: i % 2 ? null : 'timeout after 5000 ms' }, 10);
    const kept = await s.webhookAttempts.list(100);
    expect(kept.map((k) => k.attempt)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(kept[1]).toEqual({ ...a, attempt: 24, status: null, error: 'timeout after 5000 ms' });
    expect(await s.webhookAttempts.list(3)).toHaveLength(3);
  });

  it('analytics: figures upserted with samples, listed newest first, interrupted ones closed at their last sample', async () => {
    const figures = (id: string, startedAt: number, extra: object = {}) => ({
      broadcastId: id, channel: 'live', startedAt, endedAt: null, status: 'live' as const, sampleIntervalMs: 60_000, sampledAt: startedAt,
      peakViewers: 0, watchSeconds: 0, uniqueViewers: 0, messages: 0, danmaku: 0, chatters: 0, likes: 0, shares: 0, renditions: {}, ...extra,
    });
    await s.analytics.save(figures('aaaa0001', 1000));
    await s.analytics.save(figures('aaaa0001', 1000, { sampledAt: 61_000, peakViewers: 3, watchSeconds: 12.5, renditions: { source: { requests: 4, bytes: 4096 } } }), { at: 61_000, hls: 2, chat: 3, viewers: 3 });
    await s.analytics.save(figures('aaaa0001', 1000, { sampledAt: 61_000, peakViewers: 4 }), { at: 61_000, hls: 4, chat: 3, viewers: 4 }); // same sample time: replaced
    await s.analytics.save(figures('bbbb0001', 5000, { channel: 'other' }));
    expect(await s.analytics.get('aaaa0001')).toEqual(figures('aaaa0001', 1000, { sampledAt: 61_000, peakViewers: 4 }));
    expect(await s.analytics.samples('aaaa0001')).toEqual([{ at: 61_000, hls: 4, chat: 3, viewers: 4 }]);
    expect((await s.analytics.list(undefined, 10)).map((f) => f.broadcastId)).toEqual(['bbbb0001', 'aaaa0001']);
    expect((await s.analytics.list('live', 10)).map((f) => f.broadcastId)).toEqual(['aaaa0001']);
    expect(await s.analytics.list('live', 0)).toEqual([]);
    await s.analytics.save(figures('bbbb0001', 5000, { channel: 'other', status: 'complete', endedAt: 9000 }));
    expect(await s.analytics.closeInterrupted()).toBe(1);
    expect(await s.analytics.get('aaaa0001')).toMatchObject({ status: 'interrupted', endedAt: 61_000 });
    expect(await s.analytics.get('zzzz0000')).toBeUndefined();
  });

  it('keeps everything across a reopen (a restart: the migrations find nothing to do)', async () => {
    await s.channels.create('live');
    await s.messages.insert(message('m1', 1000));
    await s.moderation.addSanction(sanction('u1', 'ban', 1000, null), logRecord('ban', 1));
    await s.likes.add('live', 7);
    const again = await b.reopen();
    s = again;
    expect((await again.channels.get('live'))?.name).toBe('live');
    expect((await again.messages.recent('live', 10)).map((m) => m.id)).toEqual(['m1']);
    expect(await again.moderation.isBanned('live', 'u1', '')).toBe(true);
    expect(await again.likes.total('live')).toBe(7);
  });
});
