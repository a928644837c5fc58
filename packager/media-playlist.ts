import type { InitInfo } from './mp4-boxes';
import type { Fragment } from './fragment-splitter';
import type { SegmentClock } from './segment-clock';

export interface Part {
  /** Global, ever-increasing id within this playlist: the part's URI names it, so a preload hint stays valid across a segment cut. */
  id: number;
  duration: number;
  independent: boolean;
  bytes: Buffer;
}

export interface Segment {
  msn: number;
  parts: Part[];
  /** Seconds. */
  duration: number;
  /** Media time of the first sample, seconds. */
  start: number;
  discontinuity: boolean;
  initId: number;
  /** Wall clock of the first sample, ms since epoch (EXT-X-PROGRAM-DATE-TIME). */
  programDateTime: number;
  complete: boolean;
  /** The whole segment, set when complete. */
  bytes?: Buffer;
}

export interface MediaPlaylistOptions {
  /** The rendition's name. */
  name: string;
  partTarget: number;
  segmentTarget: number;
  windowSegments: number;
  /** A token in every media URI so URIs from an earlier server run are never confused with new ones by a cache. */
  epoch: string;
  /** Told of every segment as it completes (its bytes whole): the recorder writes it to disk. */
  onSegmentComplete?: (segment: Segment) => void;
}

/**
 * What a held request waits for: part `part` of segment `msn` or anything later (a blocking playlist reload with
 * _HLS_part), segment `msn` complete (with _HLS_msn alone), or the part with this id (a preload-hint request).
 */
export type WaitTarget = { msn: number; part?: number } | { partId: number };

type Waiter = { target: WaitTarget; resolve: (ready: boolean) => void };

/**
 * One rendition's live playlist state: an in-memory window of segments built
 * from parts (one fMP4 fragment each), cut on keyframes, plus the requests
 * blocked until a part exists. Rendering lives in playlist-writer.ts.
 */
export class MediaPlaylist {
  readonly segments: Segment[] = [];
  current?: Segment;
  ended = false;
  /** The publisher is gone and may come back (reconnect grace): no new parts for now, no ENDLIST. */
  paused = false;
  discontinuitySequence = 0;
  init?: { id: number; bytes: Buffer; info: InitInfo };

  private nextPartId = 0;
  /** Bumped by every change to what the playlist renders (see revision). */
  private rev = 0;
  private readonly inits = new Map<number, Buffer>();
  private readonly parts = new Map<number, { part: Part; segment: Segment }>();
  /** Every held request, and the same ones indexed by what they wait for, so a new part wakes only those it satisfies. */
  private readonly waiters = new Set<Waiter>();
  private readonly partWaiters = new Map<number, Map<number, Set<Waiter>>>();
  private readonly segmentWaiters = new Map<number, Set<Waiter>>();
  private readonly partIdWaiters = new Map<number, Set<Waiter>>();
  private pendingDiscontinuity = false;
  private frames = { count: 0, seconds: 0 };

  constructor(private readonly opts: MediaPlaylistOptions) {}

  get partTarget() {
    return this.opts.partTarget;
  }

  get epoch() {
    return this.opts.epoch;
  }

  /** Changes whenever the rendered playlist would: a new stream, part, pause or end (renders are cached by it). */
  get revision(): number {
    return this.rev;
  }

  /** A new fMP4 stream begins (a publish, or ffmpeg restarted): new init, and a discontinuity if anything came before. */
  startStream(bytes: Buffer, info: InitInfo): void {
    this.closeSegment();
    const id = (this.init?.id ?? -1) + 1;
    this.init = { id, bytes, info };
    this.inits.set(id, bytes);
    this.pendingDiscontinuity = this.segments.length > 0;
    this.ended = false;
    this.paused = false;
    this.rev++;
  }

  /** Adds one fragment as a part; `clock` says whether a segment opens on it (keyframes only). */
  addFragment(f: Fragment, clock: SegmentClock): void {
    if (!this.init || this.ended) return;
    clock.observe(this.opts.name, f.start, f.duration);
    const msn = f.independent ? clock.boundaryAt(this.opts.name, f.start) : undefined;
    // A second keyframe matching the boundary this segment opened on is not a new boundary.
    if (msn !== undefined && (!this.current || msn > this.current.msn)) {
      this.closeSegment();
      const last = this.segments[this.segments.length - 1];
      // Within a stream MSNs run on by one; a new stream takes the clock's number (never going back).
      const next = !last ? msn : this.pendingDiscontinuity ? Math.max(msn, last.msn + 1) : last.msn + 1;
      this.openSegment(f, next, clock);
    } else if (!this.current) {
      return; // a segment opens only on a boundary keyframe
    }
    const seg = this.current!;
    const part: Part = { id: this.nextPartId++, duration: f.duration, independent: f.independent, bytes: f.bytes };
    seg.parts.push(part);
    seg.duration += f.duration;
    this.frames.count += f.samples;
    this.frames.seconds += f.duration;
    this.parts.set(part.id, { part, segment: seg });
    this.rev++;
    this.wakeForPart(seg.msn, seg.parts.length - 1, part.id);
  }

  /** The publisher is gone for now: the segment in progress is closed; the next stream continues after a discontinuity. */
  pause(): void {
    if (this.ended) return;
    this.closeSegment();
    this.paused = true;
    this.rev++;
    this.notify();
  }

  /** The publisher is gone: the last segment is closed and ENDLIST written. */
  end(): void {
    this.closeSegment();
    this.ended = true;
    this.rev++;
    this.notify();
  }

  /** Peak segment bitrate over the window, bits/s (0 before the first segment): an old spike ages out with its segment. */
  get peakBitrate(): number {
    let peak = 0;
    for (const seg of this.segments) if (seg.duration > 0 && seg.bytes) peak = Math.max(peak, (seg.bytes.length * 8) / seg.duration);
    return peak;
  }

  /** Measured frame rate of the video track, 0 before any sample. */
  get frameRate(): number {
    return this.frames.seconds > 0 ? this.frames.count / this.frames.seconds : 0;
  }

  /** EXT-X-TARGETDURATION: no segment's rounded duration may exceed it. */
  get targetDuration(): number {
    let max = Math.ceil(this.opts.segmentTarget);
    for (const s of this.segments) max = Math.max(max, Math.round(s.duration));
    if (this.current) max = Math.max(max, Math.round(this.current.duration));
    return max;
  }

  get mediaSequence(): number {
    return this.segments[0]?.msn ?? this.current?.msn ?? 0;
  }

  /** The last segment with any content (the in-progress one if it has parts). */
  get lastSegment(): Segment | undefined {
    return this.current?.parts.length ? this.current : this.segments[this.segments.length - 1];
  }

  get hasContent(): boolean {
    return this.parts.size > 0;
  }

  /** The next part's id (EXT-X-PRELOAD-HINT), or undefined once ended. */
  get nextPartIdHint(): number | undefined {
    return this.ended || !this.init ? undefined : this.nextPartId;
  }

  /**
   * Will the next part most likely open a new segment? True once the current segment is as long as the one
   * before it, less half a part: keyframes come at a steady interval, so the next part should be one.
   */
  get nextPartOpensSegment(): boolean {
    const cur = this.current;
    const prev = this.segments[this.segments.length - 1];
    const last = cur?.parts[cur.parts.length - 1];
    if (!cur || !prev || !last) return false;
    return cur.duration + last.duration / 2 >= prev.duration;
  }

  /**
   * Has the playlist reached part `part` of segment `msn` or later? Without
   * `part`: does it hold segment `msn` (or a later one) complete?
   */
  reached(msn: number, part?: number): boolean {
    if (part === undefined) {
      const done = this.segments[this.segments.length - 1];
      return done !== undefined && done.msn >= msn;
    }
    const last = this.lastSegment;
    if (!last) return false;
    return last.msn > msn || (last.msn === msn && last.parts.length > part);
  }

  /** The MSN a blocking request may ask for at most (last + 2). */
  get maxRequestableMsn(): number {
    return (this.lastSegment?.msn ?? -1) + 2;
  }

  /** Whether `target` is there now. */
  satisfies(target: WaitTarget): boolean {
    return 'partId' in target ? this.parts.has(target.partId) : this.reached(target.msn, target.part);
  }

  /**
   * Resolves true once `target` is there; false after `timeoutMs`, when ended (or closed) without it, or as soon as
   * `signal` aborts (the client went away): the waiter and its timer are gone at that moment.
   */
  waitFor(target: WaitTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.satisfies(target)) return Promise.resolve(true);
    // Nothing arrives once ended. While the publisher is away a blocking reload is answered at once (held, it
    // would only time out in the player: hls.js gives up after 0.8 target durations); a preload-hint part
    // request is held as usual, the hinted part comes first when the publisher is back.
    if (this.ended || (this.paused && !('partId' in target)) || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.resolve(false);
      const waiter: Waiter = {
        target,
        resolve: (ok) => {
          if (!this.waiters.delete(waiter)) return; // answered already
          this.unindex(waiter);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        },
      };
      this.waiters.add(waiter);
      this.index(waiter);
      timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Requests held right now (blocking reloads and preload hints). */
  get heldRequests(): number {
    return this.waiters.size;
  }

  getPart(id: number): Part | undefined {
    return this.parts.get(id)?.part;
  }

  getSegment(msn: number): Segment | undefined {
    return this.segments.find((s) => s.msn === msn);
  }

  getInit(id: number): Buffer | undefined {
    return this.inits.get(id);
  }

  /** Releases every blocked request (server stopping). */
  close(): void {
    for (const w of [...this.waiters]) w.resolve(false);
  }

  private index(w: Waiter): void {
    const t = w.target;
    if ('partId' in t) return addTo(this.partIdWaiters, t.partId, w);
    if (t.part === undefined) return addTo(this.segmentWaiters, t.msn, w);
    let byPart = this.partWaiters.get(t.msn);
    if (!byPart) this.partWaiters.set(t.msn, (byPart = new Map()));
    addTo(byPart, t.part, w);
  }

  private unindex(w: Waiter): void {
    const t = w.target;
    if ('partId' in t) return removeFrom(this.partIdWaiters, t.partId, w);
    if (t.part === undefined) return removeFrom(this.segmentWaiters, t.msn, w);
    const byPart = this.partWaiters.get(t.msn);
    if (!byPart) return;
    removeFrom(byPart, t.part, w);
    if (byPart.size === 0) this.partWaiters.delete(t.msn);
  }

  /**
   * Part `index` of segment `msn` (id `id`) was just added. Parts arrive in order, so it satisfies exactly the
   * waiters for (msn, index) and for that id, plus every part waiter of an earlier segment (a segment that closed
   * with fewer parts than asked for, or MSNs a new stream skipped). Only a few MSNs can be waited for at once
   * (at most last + 2), so the cost follows the requests woken, not the requests held.
   */
  private wakeForPart(msn: number, index: number, id: number): void {
    for (const [m, byPart] of this.partWaiters) {
      if (m < msn) for (const set of byPart.values()) wakeAll(set);
    }
    const here = this.partWaiters.get(msn)?.get(index);
    if (here) wakeAll(here);
    const byId = this.partIdWaiters.get(id);
    if (byId) wakeAll(byId);
  }

  /** Segment `msn` was completed: wakes the waiters for it and for earlier ones. */
  private wakeForSegment(msn: number): void {
    for (const [m, set] of this.segmentWaiters) if (m <= msn) wakeAll(set);
  }

  private openSegment(f: Fragment, msn: number, clock: SegmentClock) {
    this.current = {
      msn,
      parts: [],
      duration: 0,
      start: f.start,
      discontinuity: this.pendingDiscontinuity,
      initId: this.init!.id,
      programDateTime: clock.wallClock(this.opts.name, f.start),
      complete: false,
    };
    this.pendingDiscontinuity = false;
  }

  private closeSegment() {
    const seg = this.current;
    this.current = undefined;
    if (!seg || seg.parts.length === 0) return;
    seg.complete = true;
    seg.bytes = Buffer.concat(seg.parts.map((p) => p.bytes));
    // Parts become views into the segment so the window holds each byte once.
    let off = 0;
    for (const p of seg.parts) {
      p.bytes = seg.bytes.subarray(off, off + p.bytes.length);
      off += p.bytes.length;
    }
    this.segments.push(seg);
    this.trim();
    this.wakeForSegment(seg.msn);
    this.opts.onSegmentComplete?.(seg);
  }

  private trim() {
    while (this.segments.length > this.opts.windowSegments) {
      const old = this.segments.shift()!;
      if (old.discontinuity) this.discontinuitySequence++;
      for (const p of old.parts) this.parts.delete(p.id);
    }
    const liveInits = new Set(this.segments.map((s) => s.initId));
    if (this.init) liveInits.add(this.init.id);
    for (const id of this.inits.keys()) if (!liveInits.has(id)) this.inits.delete(id);
  }

  /** For the rare changes (ended): checks every held request; once ended, the unsatisfied ones are answered too. */
  private notify() {
    for (const w of [...this.waiters]) {
      if (this.satisfies(w.target)) w.resolve(true);
      else if (this.ended || (this.paused && !('partId' in w.target))) w.resolve(false);
    }
  }
}

function addTo<K>(map: Map<K, Set<Waiter>>, key: K, w: Waiter): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(w);
}

function removeFrom<K>(map: Map<K, Set<Waiter>>, key: K, w: Waiter): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(w);
  if (set.size === 0) map.delete(key);
}

/** Resolves each (resolving unindexes it, which empties `set` and drops it from its map). */
function wakeAll(set: Set<Waiter>): void {
  for (const w of [...set]) w.resolve(true);
}
