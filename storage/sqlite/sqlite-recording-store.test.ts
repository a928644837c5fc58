import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from './sqlite-database';
import { SqliteRecordingStore } from './sqlite-recording-store';

describe('RecordingStore (SQLite)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-recstore-'));
  const db = openDatabase(dir);
  const store = new SqliteRecordingStore(db);
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps totals per rendition and per recording as segments are indexed; never overwrites an id', async () => {
    expect((await store.create({ id: 'aaaa0001', channel: 'live', title: 'One', startedAt: 1000 }))).toBe(true);
    expect((await store.create({ id: 'aaaa0001', channel: 'other', title: 'Two', startedAt: 2000 }))).toBe(false);
    await store.addRendition('aaaa0001', { name: 'source', width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'] });
    await store.addRendition('aaaa0001', { name: '360p', width: 640, height: 360, codecs: ['avc1.64001e'] });
    await store.addInitBytes('aaaa0001', 'source', 700);
    for (let msn = 0; msn < 3; msn++) {
      await store.addSegment('aaaa0001', { rendition: 'source', msn, initId: 0, duration: 1, programDateTime: 5000 + msn * 1000, discontinuity: msn === 2, bytes: 100_000 * (msn + 1) }, msn * 4);
    }
    await store.addSegment('aaaa0001', { rendition: '360p', msn: 0, initId: 0, duration: 1, programDateTime: 5000, discontinuity: false, bytes: 10_000 }, 1);
    expect((await store.get('aaaa0001'))).toMatchObject({ channel: 'live', title: 'One', status: 'recording', duration: 3, bytes: 700 + 600_000 + 10_000, peakViewers: 8, renditions: ['source', '360p'], endedAt: null });
    expect((await store.renditions('aaaa0001'))[0]).toEqual({ name: 'source', width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'], duration: 3, bytes: 600_700, segments: 3, peakBitrate: 2_400_000 });
    expect((await store.segments('aaaa0001', 'source')).map((s) => [s.msn, s.discontinuity])).toEqual([[0, false], [1, false], [2, true]]);
    expect((await store.unfinished()).map((r) => r.id)).toEqual(['aaaa0001']);
    await store.finish('aaaa0001', { endedAt: 9000, status: 'complete', messages: 5, likes: 2 });
    expect((await store.unfinished())).toEqual([]);
    expect((await store.get('aaaa0001'))).toMatchObject({ endedAt: 9000, status: 'complete', messages: 5, likes: 2 });
  });

  it('lists newest first, by channel, with paging, and sums bytes per channel', async () => {
    await store.create({ id: 'aaaa0002', channel: 'live', title: 'Two', startedAt: 3000 });
    await store.create({ id: 'bbbb0001', channel: 'other', title: 'B', startedAt: 2000 });
    expect((await store.list()).map((r) => r.id)).toEqual(['aaaa0002', 'bbbb0001', 'aaaa0001']);
    expect((await store.list({ channel: 'live' })).map((r) => r.id)).toEqual(['aaaa0002', 'aaaa0001']);
    expect((await store.list({ channel: 'live', before: 3000 })).map((r) => r.id)).toEqual(['aaaa0001']);
    expect((await store.list({ limit: 1 })).map((r) => r.id)).toEqual(['aaaa0002']);
    expect((await store.channelsWithRecordings())).toEqual([{ channel: 'live', bytes: 610_700 }, { channel: 'other', bytes: 0 }]);
  });

  it('deletes a recording with its renditions and segments', async () => {
    expect((await store.delete('aaaa0001'))).toBe(true);
    expect((await store.delete('aaaa0001'))).toBe(false);
    expect((await store.get('aaaa0001'))).toBeUndefined();
    expect(db.prepare("SELECT COUNT(*) FROM recording_segments WHERE recording = 'aaaa0001'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT COUNT(*) FROM recording_renditions WHERE recording = 'aaaa0001'").pluck().get()).toBe(0);
  });

  it('keeps per-channel settings, null meaning the server default', async () => {
    expect((await store.settings('live'))).toEqual({ enabled: null, renditions: null });
    await store.setSettings('live', { enabled: false, renditions: ['source', '360p'] });
    expect((await store.settings('live'))).toEqual({ enabled: false, renditions: ['source', '360p'] });
    await store.setSettings('live', { enabled: true, renditions: 'all' });
    expect((await store.settings('live'))).toEqual({ enabled: true, renditions: 'all' });
  });
});
