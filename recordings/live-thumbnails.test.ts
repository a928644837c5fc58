import pino from 'pino';
import type { LiveroomEvents, MediaInit, MediaSegment } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { LiveThumbnails } from './live-thumbnails';
import type { SegmentJpegRequest } from './segment-jpeg';

const init = (rendition: string, initId = 0, broadcastId = 'b1'): MediaInit => ({
  channel: 'live', broadcastId, rendition, initId, bytes: Buffer.from(`init-${rendition}-${initId}`), ladder: ['source', '360p'], width: 854, height: 480, codecs: ['avc1.64001f'],
});
const seg = (rendition: string, msn: number, initId = 0, broadcastId = 'b1'): MediaSegment => ({
  channel: 'live', broadcastId, rendition, msn, initId, duration: 1, programDateTime: msn * 1000, discontinuity: false, bytes: Buffer.from(`seg-${rendition}-${msn}`), parts: 5,
});

describe('LiveThumbnails', () => {
  const bus = new TypedEmitter<LiveroomEvents>();
  const calls: SegmentJpegRequest[] = [];
  let finish: Array<() => void> = [];
  const thumbs = new LiveThumbnails({
    config: { intervalMs: 5000, width: 640 },
    ffmpegPath: 'ffmpeg',
    bus,
    log: pino({ level: 'silent' }),
    makeJpeg: (req) => {
      calls.push(req);
      return new Promise((resolve) => finish.push(() => resolve(Buffer.concat([Buffer.from('jpeg:'), req.segment]))));
    },
  });
  const settle = async () => {
    for (const f of finish.splice(0)) f();
    await new Promise((r) => setImmediate(r));
  };

  beforeAll(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    thumbs.start();
  });
  afterAll(async () => {
    await settle();
    await thumbs.stop();
    jest.useRealTimers();
  });

  it("makes the first from the top rendition's first segment at once, decoding only its keyframe", async () => {
    bus.emit('media:init', init('source'));
    bus.emit('media:init', init('360p'));
    bus.emit('media:segment', seg('360p', 0));
    expect(calls).toHaveLength(0); // not the top rendition
    bus.emit('media:segment', seg('source', 0));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ init: Buffer.from('init-source-0'), segment: Buffer.from('seg-source-0'), frame: 'keyframe', width: 640 });
    expect(thumbs.jpeg('live')).toBeUndefined();
    await settle();
    expect(thumbs.jpeg('live')?.toString()).toBe('jpeg:seg-source-0');
  });

  it('then one per interval from the latest segment, one ffmpeg at a time, none when nothing new came', async () => {
    for (const msn of [1, 2, 3]) bus.emit('media:segment', seg('source', msn));
    expect(calls).toHaveLength(1); // segments alone wait for the interval
    jest.advanceTimersByTime(5000);
    expect(calls).toHaveLength(2);
    expect(calls[1].segment.toString()).toBe('seg-source-3');
    bus.emit('media:segment', seg('source', 4));
    jest.advanceTimersByTime(5000);
    expect(calls).toHaveLength(2); // the one before is still being made
    await settle();
    expect(thumbs.jpeg('live')?.toString()).toBe('jpeg:seg-source-3');
    jest.advanceTimersByTime(5000);
    expect(calls).toHaveLength(3);
    await settle();
    jest.advanceTimersByTime(5000);
    expect(calls).toHaveLength(3); // no newer segment: nothing to make
  });

  it('follows a reconnect (new init) and forgets the broadcast when it ends', async () => {
    bus.emit('media:init', init('source', 1));
    bus.emit('media:segment', seg('source', 5, 1));
    jest.advanceTimersByTime(5000);
    expect(calls.at(-1)!.init.toString()).toBe('init-source-1');
    await settle();
    bus.emit('broadcast:ended', { channel: 'live', broadcastId: 'b1', endedAt: Date.now() });
    expect(thumbs.jpeg('live')).toBeUndefined();
    const made = calls.length;
    jest.advanceTimersByTime(20_000);
    expect(calls).toHaveLength(made);
  });
});
