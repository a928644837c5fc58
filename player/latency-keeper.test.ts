/// <reference lib="dom" />
import Hls from 'hls.js';
import { LatencyKeeper, TARGET_PARTS } from './latency-keeper';

/** Just what LatencyKeeper reads and writes of an Hls instance and a video element. */
function fakes(opts: { latency: number; bufferedTo: number }) {
  const handlers = new Map<string, (e: unknown, d: unknown) => void>();
  const hls = {
    config: { liveSyncOnStallIncrease: 1 },
    latency: opts.latency,
    targetLatency: null as number | null,
    liveSyncPosition: null as number | null,
    on: (ev: string, fn: (e: unknown, d: unknown) => void) => handlers.set(ev, fn),
    off: (ev: string) => handlers.delete(ev),
  };
  const listeners = new Map<string, () => void>();
  const video = {
    paused: false,
    readyState: 4,
    currentTime: 10,
    playbackRate: 1,
    buffered: { length: 1, start: () => 9, end: () => opts.bufferedTo },
    addEventListener: (ev: string, fn: () => void) => listeners.set(ev, fn),
    removeEventListener: (ev: string) => listeners.delete(ev),
  };
  const keeper = new LatencyKeeper(hls as unknown as Hls, video as unknown as HTMLVideoElement);
  const level = (partTarget: number) => handlers.get(Hls.Events.LEVEL_UPDATED)!(null, { details: { live: true, partTarget } });
  const tick = () => listeners.get('timeupdate')!();
  return { hls, video, keeper, level, tick, handlers, listeners };
}

describe('LatencyKeeper', () => {
  it('aims at TARGET_PARTS part targets from the first live playlist, once, and a stall adds one part', () => {
    const f = fakes({ latency: 0.5, bufferedTo: 10.4 });
    const set: number[] = [];
    Object.defineProperty(f.hls, 'targetLatency', { get: () => set.at(-1) ?? null, set: (v: number) => set.push(v) });
    f.level(0.2);
    f.level(0.3);
    expect(set).toEqual([TARGET_PARTS * 0.2]);
    expect(f.hls.config.liveSyncOnStallIncrease).toBe(0.2);
  });

  it('plays faster while behind the target with enough buffered, and back at 1 near it or when the buffer runs low', () => {
    const f = fakes({ latency: 0.8, bufferedTo: 10.5 });
    f.hls.targetLatency = 0.5;
    f.tick();
    expect(f.video.playbackRate).toBe(1.1);
    f.hls.latency = 0.55; // still behind by more than CATCH_UP_UNTIL
    f.tick();
    expect(f.video.playbackRate).toBe(1.1);
    f.hls.latency = 0.52;
    f.tick();
    expect(f.video.playbackRate).toBe(1);

    f.hls.latency = 0.9;
    f.video.buffered.end = () => 10.2; // 0.2 s ahead: not enough to speed up
    f.tick();
    expect(f.video.playbackRate).toBe(1);
    f.video.buffered.end = () => 10.5;
    f.tick();
    expect(f.video.playbackRate).toBe(1.1);
    f.video.buffered.end = () => 10.1; // the buffer runs low: stop before it stalls
    f.tick();
    expect(f.video.playbackRate).toBe(1);
  });

  it('releases its listeners and restores the rate', () => {
    const f = fakes({ latency: 0.8, bufferedTo: 10.5 });
    f.hls.targetLatency = 0.5;
    f.tick();
    f.keeper.destroy();
    expect(f.handlers.size).toBe(0);
    expect(f.listeners.size).toBe(0);
    expect(f.video.playbackRate).toBe(1);
  });
});
