import type { ThumbnailsConfig } from '../core/config-schema';
import type { LiveroomEvents, MediaInit, MediaSegment } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { segmentJpeg } from './segment-jpeg';

export interface LiveThumbnailsDeps {
  config: ThumbnailsConfig;
  ffmpegPath: string;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
  /** Makes the JPEG (tests put a fake here); the bundled ffmpeg by default. */
  makeJpeg?: typeof segmentJpeg;
}

/** One live broadcast's thumbnail: made from its top rendition's latest complete segment, held in memory. */
interface Live {
  broadcastId: string;
  rendition: string;
  /** Init segments of that rendition by id (a reconnect brings a new one). */
  inits: Map<number, Buffer>;
  latest?: MediaSegment;
  jpeg?: Buffer;
  /** The msn the JPEG was made from. */
  madeFrom?: number;
  making: boolean;
  timer: NodeJS.Timeout;
}

/** Init segments kept per rendition: the current one, and the one its last segments may still name. */
const INITS_KEPT = 2;

/**
 * The live thumbnail of each channel on air (GET /api/channels/<c>/thumbnail.jpg):
 * every 'thumbnails.intervalMs', when a new segment has completed, one short
 * ffmpeg decodes only the keyframe that segment starts with (the packager's
 * own bytes, from the media:* events) into a JPEG kept in memory. So a channel
 * costs at most one small ffmpeg at a time, however many viewers ask; the
 * first is made from the first segment. A broadcast's thumbnail goes with it.
 */
export class LiveThumbnails {
  private readonly live = new Map<string, Live>();
  private readonly pending = new Set<Promise<void>>();
  private readonly onInit = (e: MediaInit) => this.init(e);
  private readonly onSegment = (e: MediaSegment) => this.segment(e);
  private readonly onEnded = (e: { channel: string; broadcastId: string }) => {
    if (this.live.get(e.channel)?.broadcastId === e.broadcastId) this.drop(e.channel);
  };

  constructor(private readonly deps: LiveThumbnailsDeps) {}

  start(): void {
    const { bus } = this.deps;
    bus.on('media:init', this.onInit);
    bus.on('media:segment', this.onSegment);
    bus.on('broadcast:ended', this.onEnded);
  }

  async stop(): Promise<void> {
    const { bus } = this.deps;
    bus.off('media:init', this.onInit);
    bus.off('media:segment', this.onSegment);
    bus.off('broadcast:ended', this.onEnded);
    for (const channel of [...this.live.keys()]) this.drop(channel);
    await Promise.all([...this.pending]);
  }

  /** The channel's current live thumbnail, if one was made for the broadcast on air. */
  jpeg(channel: string): Buffer | undefined {
    return this.live.get(channel)?.jpeg;
  }

  private init(e: MediaInit): void {
    let live = this.live.get(e.channel);
    if (live?.broadcastId !== e.broadcastId) {
      this.drop(e.channel);
      const timer = setInterval(() => this.refresh(e.channel), this.deps.config.intervalMs);
      timer.unref();
      live = { broadcastId: e.broadcastId, rendition: e.ladder[0] ?? e.rendition, inits: new Map(), making: false, timer };
      this.live.set(e.channel, live);
    }
    // The top of the ladder (a restart with another profile may change it).
    if (e.ladder[0] && e.ladder[0] !== live.rendition) {
      live.rendition = e.ladder[0];
      live.inits.clear();
      live.latest = undefined;
    }
    if (e.rendition !== live.rendition) return;
    live.inits.set(e.initId, e.bytes);
    for (const id of [...live.inits.keys()].sort((a, b) => a - b).slice(0, -INITS_KEPT)) live.inits.delete(id);
  }

  private segment(e: MediaSegment): void {
    const live = this.live.get(e.channel);
    if (!live || live.broadcastId !== e.broadcastId || live.rendition !== e.rendition || !live.inits.has(e.initId)) return;
    live.latest = e;
    if (live.madeFrom === undefined) this.refresh(e.channel); // the first one at once, for link previews
  }

  private refresh(channel: string): void {
    const live = this.live.get(channel);
    const seg = live?.latest;
    const init = seg && live.inits.get(seg.initId);
    if (!live || !seg || !init || live.making || live.madeFrom === seg.msn) return;
    live.making = true;
    const job = (this.deps.makeJpeg ?? segmentJpeg)({ ffmpegPath: this.deps.ffmpegPath, init, segment: seg.bytes, frame: 'keyframe', width: this.deps.config.width })
      .then(
        (jpeg) => void (live.jpeg = jpeg),
        (err: Error) => this.deps.log.warn({ channel, msn: seg.msn, err: err.message }, 'live thumbnail not made: ffmpeg failed (the previous one stays)'),
      )
      .finally(() => {
        live.madeFrom = seg.msn; // tried: the next try waits for a newer segment
        live.making = false;
        this.pending.delete(job);
      });
    this.pending.add(job);
  }

  private drop(channel: string): void {
    const live = this.live.get(channel);
    if (!live) return;
    clearInterval(live.timer);
    this.live.delete(channel);
  }
}
