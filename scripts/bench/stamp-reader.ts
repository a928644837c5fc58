/**
 * The page side of the latency bench: reads the capture-time stamp back off
 * every frame the video presents (requestVideoFrameCallback → canvas →
 * getImageData → decodeStamp) and records `display time - stamp`, both on this
 * machine's wall clock. Installed with page.addInitScript(readerScript(...)),
 * so it is in place before the watch page's own scripts run.
 *
 * The functions below are serialised with Function.prototype.toString and run
 * in the browser: they must not use anything from outside their own bodies
 * (no imports, no module constants), only their arguments and browser globals.
 */
import type { StampLayout } from './stamp-layout';

/** Which rendition to pin, found in hls.levels by STABLE-VARIANT-ID / NAME / URL, then by height. */
export interface PinTarget {
  name: string;
  height: number;
}

export interface ReaderOptions {
  layout: StampLayout;
  /** null: leave hls.js's own level choice alone. */
  pin: PinTarget | null;
}

/** [display wall ms, latency ms, decoded video height, hls.currentLevel] */
export type Sample = [number, number, number, number];

export interface PageTick {
  /** Wall-clock ms. */
  t: number;
  latency: number | null;
  targetLatency: number | null;
  drift: number | null;
  playbackRate: number;
  bufferAhead: number;
  currentLevel: number;
  videoHeight: number;
  state: string;
}

export interface FirstFrame {
  /** ms since navigation start (performance.now() time origin) when the frame was expected on screen. */
  sinceNavMs: number;
  wall: number;
  videoHeight: number;
  /** Glass-to-glass latency of that first frame, when its stamp read back. */
  latencyMs: number | null;
}

export interface ReaderSnapshot {
  samples: Sample[];
  rejects: Record<string, number>;
  frames: number;
  firstFrame: FirstFrame | null;
  /**
   * ms since navigation start of the first occurrence of each milestone:
   * domContentLoaded, hlsCreated, manifestLoading, manifestParsed, levelLoaded,
   * initLoaded, mediaLoaded (first part or segment), fragBuffered, playing.
   */
  marks: Record<string, number>;
  levels: Array<{ index: number; height: number; name: string; stableId: string | null; bitrate: number }>;
  pinnedIndex: number | null;
  pinError: string | null;
  hlsErrors: Array<{
    t: number;
    type: string;
    details: string;
    fatal: boolean;
    url: string;
    code: number | null;
    /** hls.js's own explanation (data.reason / data.error.message). */
    reason: string;
    /** The video's buffered ranges and currentTime when it happened. */
    buffered: string;
  }>;
  levelSwitches: Array<{ t: number; level: number }>;
  fragLoads: number;
  partLoads: number;
  /** hls.js instances the page created (more than 1: the page reloaded the player). */
  hlsInstances: number;
  /** [ms since navigation, document.body.dataset.state] at each change. */
  stateChanges: Array<[number, string]>;
  waitingEvents: number;
  stalledMs: number;
  ticks: PageTick[];
  quality: { total: number; dropped: number } | null;
  /** Gaps between consecutive presented frames longer than 500 ms after the first frame: [wall ms at the end of the gap, gap ms]. */
  frameGaps: Array<[number, number]>;
  /** What the page's player reports about itself every 500 ms (window.__liveroom.stats(), when the page provides it). */
  playerStats: Array<Record<string, unknown>>;
}

/**
 * Decodes a stamp from RGBA pixels of the top `bandHeight` rows of a decoded
 * frame `videoWidth` wide (the frame is `videoHeight` tall). Returns the epoch
 * ms, or a short reason string when the read is rejected.
 */
export function decodeStamp(
  px: ArrayLike<number>,
  videoWidth: number,
  videoHeight: number,
  bandHeight: number,
  layout: StampLayout,
): number | string {
  const sx = videoWidth / layout.frameWidth;
  const sy = videoHeight / layout.frameHeight;
  const blocks = layout.cols * layout.rows;
  const half = Math.max(1, Math.round(layout.block * Math.min(sx, sy) * 0.25));
  const values: number[] = [];
  for (let k = 0; k < blocks; k++) {
    const cx = Math.round((layout.x0 + ((k % layout.cols) + 0.5) * layout.block) * sx);
    const cy = Math.round((layout.y0 + (Math.floor(k / layout.cols) + 0.5) * layout.block) * sy);
    if (cy + half > bandHeight || cx + half > videoWidth) return 'geometry';
    let sum = 0;
    let n = 0;
    for (let y = cy - half; y < cy + half; y++) {
      for (let x = cx - half; x < cx + half; x++) {
        sum += px[(y * videoWidth + x) * 4 + 1];
        n++;
      }
    }
    values.push(sum / n);
  }
  // Sync blocks: known bits at both ends give the black and white levels.
  const sync: Array<[number, number]> = [];
  layout.syncStart.forEach((bit, i) => sync.push([bit, values[i]]));
  layout.syncEnd.forEach((bit, i) => sync.push([bit, values[blocks - layout.syncEnd.length + i]]));
  let maxZero = -Infinity;
  let minOne = Infinity;
  let sumZero = 0;
  let nZero = 0;
  let sumOne = 0;
  let nOne = 0;
  for (const [bit, v] of sync) {
    if (bit) {
      minOne = Math.min(minOne, v);
      sumOne += v;
      nOne++;
    } else {
      maxZero = Math.max(maxZero, v);
      sumZero += v;
      nZero++;
    }
  }
  if (minOne - maxZero < 60) return 'sync';
  const zero = sumZero / nZero;
  const one = sumOne / nOne;
  const threshold = (zero + one) / 2;
  const margin = (one - zero) * 0.2;
  const bits: number[] = [];
  for (let k = layout.syncStart.length; k < blocks - layout.syncEnd.length; k++) {
    if (Math.abs(values[k] - threshold) < margin) return 'ambiguous';
    bits.push(values[k] > threshold ? 1 : 0);
  }
  let value = 0;
  for (let i = 0; i < layout.dataBits; i++) value = value * 2 + bits[i];
  let crcRead = 0;
  for (let i = 0; i < layout.crcBits; i++) crcRead = crcRead * 2 + bits[layout.dataBits + i];
  // CRC-8, polynomial 0x07, over the value as 6 big-endian bytes (stamp-layout.ts stampCrc8).
  let crc = 0;
  for (let i = 5; i >= 0; i--) {
    crc ^= Math.floor(value / 2 ** (8 * i)) % 256;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  if (crc !== crcRead) return 'crc';
  return value;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- browser globals: this project compiles without the DOM lib */
/** Runs in the page (see the file comment). */
export function installStampReader(opts: ReaderOptions, decode: typeof decodeStamp): void {
  const w = globalThis as any;
  if (w.__bench) return;
  const layout = opts.layout;
  const t0Wall = Date.now() - performance.now();
  const sinceNav = (): number => performance.now();
  const snap: ReaderSnapshot = {
    samples: [],
    rejects: {},
    frames: 0,
    firstFrame: null,
    marks: {},
    levels: [],
    pinnedIndex: null,
    pinError: null,
    hlsErrors: [],
    levelSwitches: [],
    fragLoads: 0,
    partLoads: 0,
    hlsInstances: 0,
    stateChanges: [],
    waitingEvents: 0,
    stalledMs: 0,
    ticks: [],
    quality: null,
    frameGaps: [],
    playerStats: [],
  };
  let lastFrameWall: number | null = null;
  const mark = (name: string, at: number = sinceNav()): void => {
    if (!(name in snap.marks)) snap.marks[name] = at;
  };
  let video: any = null;
  let hls: any = null;
  let waitingSince: number | null = null;

  const pinLevel = (): void => {
    if (!opts.pin || !hls || !hls.levels || hls.levels.length === 0) return;
    const levels: any[] = hls.levels;
    snap.levels = levels.map((l: any, index: number) => ({
      index,
      height: l.height,
      name: String(l.name ?? ''),
      stableId: (l.attrs && l.attrs['STABLE-VARIANT-ID']) || null,
      bitrate: l.bitrate,
    }));
    const pin = opts.pin;
    let idx = levels.findIndex(
      (l: any) =>
        (l.attrs && l.attrs['STABLE-VARIANT-ID'] === pin.name) ||
        l.name === pin.name ||
        String(l.url ?? '').includes(`/${pin.name}/`),
    );
    if (idx < 0) idx = levels.findIndex((l: any) => l.height === pin.height);
    if (idx < 0) {
      snap.pinError = `no level matches ${pin.name} / ${pin.height}p`;
      return;
    }
    snap.pinnedIndex = idx;
    // Before loading starts: start there and stay there (manual level, no flush).
    hls.startLevel = idx;
    hls.loadLevel = idx;
  };

  const describeBuffered = (): string => {
    if (!video) return '';
    const b = video.buffered;
    const ranges: string[] = [];
    for (let i = 0; i < b.length; i++) ranges.push(`${b.start(i).toFixed(3)}-${b.end(i).toFixed(3)}`);
    return `t=${video.currentTime.toFixed(3)} [${ranges.join(', ')}]`;
  };

  const hookHls = (): void => {
    const h = w.__liveroom && w.__liveroom.hls;
    if (!h || h === hls) return;
    hls = h;
    snap.hlsInstances++;
    mark('hlsCreated');
    h.on('hlsManifestLoading', () => mark('manifestLoading'));
    h.on('hlsManifestParsed', () => {
      mark('manifestParsed');
      pinLevel();
    });
    h.on('hlsLevelLoaded', () => mark('levelLoaded'));
    h.on('hlsFragLoaded', (_e: string, data: any) => {
      if (data && data.frag && data.frag.sn === 'initSegment') {
        mark('initLoaded');
        return;
      }
      mark('mediaLoaded');
      if (data && data.part) snap.partLoads++;
      else snap.fragLoads++;
    });
    h.on('hlsFragBuffered', () => mark('fragBuffered'));
    h.on('hlsLevelSwitched', (_e: string, data: any) => {
      snap.levelSwitches.push({ t: Date.now(), level: data.level });
    });
    h.on('hlsError', (_e: string, data: any) => {
      if (snap.hlsErrors.length < 200) {
        const url = String(data.url ?? data.context?.url ?? data.part?.url ?? data.frag?.url ?? '');
        snap.hlsErrors.push({
          t: Date.now(),
          type: String(data.type),
          details: String(data.details),
          fatal: !!data.fatal,
          url: url.replace(/^https?:\/\/[^/]+/, ''),
          code: typeof data.response?.code === 'number' ? data.response.code : null,
          reason: String(data.reason ?? data.error?.message ?? ''),
          buffered: describeBuffered(),
        });
      }
    });
    // Missed MANIFEST_PARSED (should not happen): pin now.
    if (h.levels && h.levels.length > 0 && snap.pinnedIndex === null) pinLevel();
  };

  // hls.js creates its MediaSource object URL synchronously right after `new Hls()`;
  // a microtask later the page's handle exposes the instance, before any network reply.
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: any): string => {
    const url = createObjectURL(obj);
    if (w.MediaSource && obj instanceof w.MediaSource) queueMicrotask(hookHls);
    return url;
  };

  let canvas: any = null;
  let ctx: any = null;
  const onFrame = (now: number, meta: any): void => {
    video.requestVideoFrameCallback(onFrame);
    snap.frames++;
    const displayPerf = typeof meta.expectedDisplayTime === 'number' ? meta.expectedDisplayTime : now;
    const wall = t0Wall + displayPerf;
    if (lastFrameWall !== null && wall - lastFrameWall > 500 && snap.frameGaps.length < 100) snap.frameGaps.push([Math.round(wall), Math.round(wall - lastFrameWall)]);
    lastFrameWall = wall;
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    let latency: number | null = null;
    if (vw > 0 && vh > 0) {
      const bandH = Math.min(vh, Math.ceil(((layout.y0 + layout.rows * layout.block + 8) * vh) / layout.frameHeight));
      if (!canvas) {
        canvas = w.document.createElement('canvas');
        ctx = canvas.getContext('2d', { willReadFrequently: true });
      }
      if (canvas.width !== vw || canvas.height !== bandH) {
        canvas.width = vw;
        canvas.height = bandH;
      }
      ctx.drawImage(video, 0, 0, vw, bandH, 0, 0, vw, bandH);
      const img = ctx.getImageData(0, 0, vw, bandH);
      const r = decode(img.data, vw, vh, bandH, layout);
      if (typeof r === 'number' && Math.abs(wall - r) > 3_600_000) {
        snap.rejects.range = (snap.rejects.range ?? 0) + 1;
      } else if (typeof r === 'number') {
        latency = wall - r;
        snap.samples.push([wall, latency, vh, hls ? hls.currentLevel : -1]);
      } else {
        snap.rejects[r] = (snap.rejects[r] ?? 0) + 1;
      }
    }
    if (!snap.firstFrame) {
      snap.firstFrame = { sinceNavMs: displayPerf, wall, videoHeight: vh, latencyMs: latency };
    }
  };

  const hookVideo = (): boolean => {
    if (video) return true;
    const v = (w.__liveroom && w.__liveroom.video) || w.document.querySelector('video');
    if (!v) return false;
    video = v;
    v.addEventListener('playing', () => {
      mark('playing');
      if (waitingSince !== null) snap.stalledMs += performance.now() - waitingSince;
      waitingSince = null;
    });
    v.addEventListener('waiting', () => {
      if (snap.marks.playing !== undefined) {
        snap.waitingEvents++;
        waitingSince = performance.now();
      }
    });
    v.requestVideoFrameCallback(onFrame);
    return true;
  };

  w.addEventListener('DOMContentLoaded', () => {
    mark('domContentLoaded');
    const body = w.document.body;
    const record = (): void => {
      const state = String(body.dataset.state ?? '');
      const lastState = snap.stateChanges.length ? snap.stateChanges[snap.stateChanges.length - 1][1] : null;
      if (state !== lastState && snap.stateChanges.length < 200) snap.stateChanges.push([Math.round(sinceNav()), state]);
    };
    record();
    new w.MutationObserver(record).observe(body, { attributes: true, attributeFilter: ['data-state'] });
  });

  const poll = setInterval(() => {
    hookHls();
    if (hookVideo()) {
      // keep polling for hls: the page makes a new instance after a retry
    }
  }, 20);

  setInterval(() => {
    if (!video) return;
    let bufferAhead = 0;
    const b = video.buffered;
    for (let i = 0; i < b.length; i++) {
      if (b.start(i) <= video.currentTime && video.currentTime <= b.end(i)) bufferAhead = b.end(i) - video.currentTime;
    }
    snap.ticks.push({
      t: Date.now(),
      latency: hls ? hls.latency : null,
      targetLatency: hls ? hls.targetLatency : null,
      drift: hls ? hls.drift : null,
      playbackRate: video.playbackRate,
      bufferAhead,
      currentLevel: hls ? hls.currentLevel : -1,
      videoHeight: video.videoHeight,
      state: String(w.document.body ? w.document.body.dataset.state : ''),
    });
    const stats = w.__liveroom && typeof w.__liveroom.stats === 'function' ? w.__liveroom.stats : null;
    if (stats && snap.playerStats.length < 400) {
      try {
        snap.playerStats.push({ t: Date.now(), ...stats() });
      } catch {
        // the player is being torn down
      }
    }
  }, 500);

  w.__bench = {
    collect(): ReaderSnapshot {
      const q = video && video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      snap.quality = q ? { total: q.totalVideoFrames, dropped: q.droppedVideoFrames } : null;
      const stalled = waitingSince !== null ? performance.now() - waitingSince : 0;
      return { ...snap, stalledMs: snap.stalledMs + stalled };
    },
    hasFirstFrame: (): boolean => snap.firstFrame !== null,
    /** Decoded samples at the given height so far. */
    samplesAt: (height: number): number => snap.samples.filter((s) => s[2] === height).length,
    stop: (): void => clearInterval(poll),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The init script: the installer called with the options and the decoder. */
export function readerScript(opts: ReaderOptions): string {
  return `(${installStampReader.toString()})(${JSON.stringify(opts)}, ${decodeStamp.toString()});`;
}
