import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { LiveroomEvents, MediaInit, MediaSegment } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { recordingsSchema } from '../core/config-schema';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';
import { nodeRecordingFileSystem, type RecordingFileSystem } from './recording-files';
import { Recordings } from './recordings';
import { wantsRendition } from './recorder';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';

const silent = pino({ level: 'silent' });

async function setup(opts: { fs?: RecordingFileSystem; config?: Record<string, unknown>; dataDir?: string; ffmpegPath?: string } = {}) {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lr-rec-'));
  const stores = SqliteStores.open(dataDir);
  if (!(await stores.channels.get('live'))) await stores.channels.create('live', 'Live title');
  const bus = new TypedEmitter<LiveroomEvents>();
  let viewers = 3;
  let likes = 10;
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void logs.push(l) });
  const recordings = new Recordings({
    config: recordingsSchema.parse(opts.config ?? {}),
    dataDir,
    store: stores.recordings,
    bus,
    log,
    title: async (c) => (await stores.channels.get(c))?.title ?? c,
    viewers: () => viewers,
    likes: async () => likes,
    messagesBetween: (c, from, to) => stores.messages.countBetween(c, from, to),
    fs: opts.fs,
    ffmpegPath: opts.ffmpegPath,
  });
  await recordings.start();
  const init = (rendition: string, initId = 0, ladder = ['source', '360p']): MediaInit => ({
    channel: 'live', broadcastId: 'abcd0001', rendition, initId, bytes: Buffer.from(`init-${rendition}-${initId}`), ladder, width: 640, height: 360, codecs: ['avc1.64001f', 'mp4a.40.2'],
  });
  const seg = (rendition: string, msn: number, extra: Partial<MediaSegment> = {}): MediaSegment => ({
    channel: 'live', broadcastId: 'abcd0001', rendition, msn, initId: 0, duration: 1, programDateTime: 1_700_000_000_000 + msn * 1000, discontinuity: false, bytes: Buffer.alloc(1000, msn), parts: 5, ...extra,
  });
  return {
    dataDir, stores, bus, recordings, logs, init, seg,
    /** Every write queued so far is done (a fixed sleep raced the disk on a loaded machine: seen once in a full run). */
    settle: async () => {
      await sleep(20);
      await recordings.whenWritten();
    },
    setViewers: (n: number) => (viewers = n),
    setLikes: (n: number) => (likes = n),
    close: async () => {
      await recordings.stop();
      await stores.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Recorder', () => {
  it("writes the top rendition's init and segments to files and indexes them", async () => {
    const t = await setup();
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: Date.now() - 5000 });
    t.bus.emit('media:init', t.init('source'));
    t.bus.emit('media:init', t.init('360p'));
    for (let i = 0; i < 3; i++) {
      t.setViewers(i === 1 ? 9 : 2);
      t.bus.emit('media:segment', t.seg('source', i));
      t.bus.emit('media:segment', t.seg('360p', i));
    }
    t.setLikes(14);
    t.bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'abcd0001', endedAt: Date.now() });
    await t.settle();
    const dir = path.join(t.dataDir, 'recordings', 'live', 'abcd0001');
    expect(fs.readdirSync(dir)).toEqual(['source']);
    expect(fs.readdirSync(path.join(dir, 'source')).sort()).toEqual(['init-0.mp4', 'seg-0.m4s', 'seg-1.m4s', 'seg-2.m4s']);
    expect(fs.readFileSync(path.join(dir, 'source', 'seg-2.m4s'))).toEqual(Buffer.alloc(1000, 2));
    const rec = await t.recordings.get('abcd0001');
    expect(rec).toMatchObject({ channel: 'live', title: 'Live title', status: 'complete', duration: 3, renditions: ['source'], peakViewers: 9, likes: 4, messages: 0 });
    expect(rec.bytes).toBe(3000 + 'init-source-0'.length);
    expect((await t.recordings.segments('abcd0001', 'source')).map((s) => s.msn)).toEqual([0, 1, 2]);
    await t.close();
  });

  it('records every rendition with "all", and nothing when the channel turns recording off', async () => {
    const t = await setup({ config: { renditions: 'all' } });
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: Date.now() });
    t.bus.emit('media:init', t.init('source'));
    t.bus.emit('media:init', t.init('360p'));
    t.bus.emit('media:segment', t.seg('source', 0));
    t.bus.emit('media:segment', t.seg('360p', 0));
    t.bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'abcd0001', endedAt: Date.now() });
    await t.settle();
    expect((await t.recordings.get('abcd0001')).renditions).toEqual(['source', '360p']);

    await t.recordings.setSettings('live', { enabled: false, renditions: null });
    const off = { channel: 'live', broadcastId: 'abcd0002' };
    t.bus.emit('broadcast:started', { ...off, startedAt: Date.now() });
    t.bus.emit('media:init', { ...t.init('source'), ...off });
    t.bus.emit('media:segment', { ...t.seg('source', 0), ...off });
    t.bus.emit('broadcast:ended', { ...off, endedAt: Date.now() });
    await t.settle();
    await expect(t.recordings.get('abcd0002')).rejects.toThrow(/no recording/);
    expect(fs.existsSync(path.join(t.dataDir, 'recordings', 'live', 'abcd0002'))).toBe(false);
    await t.close();
  });

  it('on ENOSPC stops recording with one log line and a status flag, and keeps what was written', async () => {
    let fail = false;
    const full: RecordingFileSystem = {
      ...nodeRecordingFileSystem,
      write: async (file, bytes) => {
        if (fail) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return nodeRecordingFileSystem.write(file, bytes);
      },
    };
    const t = await setup({ fs: full });
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: Date.now() });
    t.bus.emit('media:init', t.init('source'));
    t.bus.emit('media:segment', t.seg('source', 0));
    await t.settle();
    fail = true;
    for (let i = 1; i < 5; i++) t.bus.emit('media:segment', t.seg('source', i));
    await t.settle();
    expect(t.recordings.status()).toEqual([{ channel: 'live', id: 'abcd0001', renditions: ['source'], stopped: 'disk-full' }]);
    expect(await t.recordings.get('abcd0001')).toMatchObject({ status: 'disk-full', stopped: 'disk-full', duration: 1 });
    const lines = t.logs.filter((l) => l.includes('disk is full'));
    expect(lines).toHaveLength(1);
    t.bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'abcd0001', endedAt: Date.now() });
    await t.settle();
    expect(await t.recordings.get('abcd0001')).toMatchObject({ status: 'disk-full', stopped: null });
    expect(fs.readdirSync(path.join(t.dataDir, 'recordings', 'live', 'abcd0001', 'source')).sort()).toEqual(['init-0.mp4', 'seg-0.m4s']);
    await t.close();
  });

  it('closes a recording a crash left open as interrupted, and removes the half-written file', async () => {
    const t = await setup();
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: 1_700_000_000_000 });
    t.bus.emit('media:init', t.init('source'));
    t.bus.emit('media:segment', t.seg('source', 0));
    t.bus.emit('media:segment', t.seg('source', 1));
    await t.settle();
    // The process dies here: no broadcast:ended, a segment half written.
    const dir = path.join(t.dataDir, 'recordings', 'live', 'abcd0001', 'source');
    fs.writeFileSync(path.join(dir, 'seg-2.m4s.tmp'), 'half');
    fs.writeFileSync(path.join(dir, '..', 'thumb.jpg.tmp'), 'half');
    await t.stores.close();

    const again = await setup({ dataDir: t.dataDir });
    const rec = await again.recordings.get('abcd0001');
    expect(rec).toMatchObject({ status: 'interrupted', duration: 2, likes: null, endedAt: 1_700_000_002_000 });
    expect(fs.readdirSync(dir).sort()).toEqual(['init-0.mp4', 'seg-0.m4s', 'seg-1.m4s']);
    expect(fs.readdirSync(path.join(dir, '..'))).toEqual(['source']);
    expect(again.logs.some((l) => l.includes('kept as interrupted'))).toBe(true);
    await again.close();
  });

  it('logs one line when ffmpeg cannot make the thumbnail, and changes nothing else', async () => {
    const t = await setup({ ffmpegPath: resolveFfmpegPath() });
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: Date.now() - 5000 });
    t.bus.emit('media:init', t.init('source'));
    for (let i = 0; i < 3; i++) t.bus.emit('media:segment', t.seg('source', i)); // not media: ffmpeg fails on it
    t.bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'abcd0001', endedAt: Date.now() });
    for (let i = 0; i < 200 && !t.logs.some((l) => l.includes('no thumbnail')); i++) await t.settle();
    expect(t.logs.filter((l) => l.includes('no thumbnail'))).toHaveLength(1);
    const rec = await t.recordings.get('abcd0001');
    expect(rec).toMatchObject({ status: 'complete', duration: 3, thumbnail: false });
    expect(fs.readdirSync(path.join(t.dataDir, 'recordings', 'live', 'abcd0001'))).toEqual(['source']);
    expect(() => t.recordings.thumbnailFile(rec)).toThrow(expect.objectContaining({ code: 'LR_RECORDING_NO_THUMBNAIL', status: 404 }));
    await t.close();
  });

  it('deletes a finished recording (rows and folder) and refuses one still on air', async () => {
    const t = await setup();
    t.bus.emit('broadcast:started', { channel: 'live', broadcastId: 'abcd0001', startedAt: Date.now() });
    t.bus.emit('media:init', t.init('source'));
    t.bus.emit('media:segment', t.seg('source', 0));
    await t.settle();
    await expect(t.recordings.delete('abcd0001')).rejects.toMatchObject({ code: 'LR_RECORDING_IN_PROGRESS', status: 409 });
    t.bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'abcd0001', endedAt: Date.now() });
    await t.settle();
    await t.recordings.delete('abcd0001');
    expect(fs.existsSync(path.join(t.dataDir, 'recordings', 'live', 'abcd0001'))).toBe(false);
    expect(await t.stores.recordings.segments('abcd0001', 'source')).toEqual([]);
    await expect(t.recordings.get('abcd0001')).rejects.toThrow(expect.objectContaining({ code: 'LR_RECORDING_NOT_FOUND', status: 404 }));
    await expect(t.recordings.get('../etc')).rejects.toThrow(expect.objectContaining({ code: 'LR_RECORDING_BAD_ID', status: 400 }));
    await t.close();
  });
});

describe('wantsRendition', () => {
  it("takes the ladder's first for 'top', every one for 'all', the named ones for a list", () => {
    expect(wantsRendition('top', ['source', '360p'], 'source')).toBe(true);
    expect(wantsRendition('top', ['source', '360p'], '360p')).toBe(false);
    expect(wantsRendition('all', ['source', '360p'], '360p')).toBe(true);
    expect(wantsRendition(['360p'], ['source', '360p'], '360p')).toBe(true);
    expect(wantsRendition(['360p'], ['source', '360p'], 'source')).toBe(false);
  });
});
