import type { Readable } from 'node:stream';
import type { Logger } from '../core/logger';
import { FragmentSplitter } from './fragment-splitter';
import { MediaPlaylist, type MediaPlaylistOptions } from './media-playlist';
import { SegmentClock } from './segment-clock';
import { renderMultivariantPlaylist, renditionReport, renderMediaPlaylist, type VariantInfo } from './playlist-writer';

export interface RenditionSummary {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
  frameRate: number;
  codecs: string[];
}

interface Rendition {
  name: string;
  playlist: MediaPlaylist;
  nominalBandwidth: number;
  stream?: Readable;
}

/** Common frame rates: a measured rate within 0.05% of one is that rate (ms timestamps make 30 fps measure 29.998). */
const NOMINAL_RATES = [23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60, 120];

function nominalFrameRate(measured: number): number {
  const near = NOMINAL_RATES.find((r) => Math.abs(measured - r) / r < 0.0005);
  return near ?? Math.round(measured * 1000) / 1000;
}

/**
 * One channel's renditions: feeds each rendition's fMP4 stream into its
 * playlist and answers for the channel as a whole (multivariant playlist,
 * rendition reports, live or not).
 */
export class ChannelPackager {
  private readonly renditions = new Map<string, Rendition>();
  /** Renditions of the current (or last) broadcast, in ladder order. */
  private active: string[] = [];
  private publishId?: string;
  private live = false;
  /** Segment boundaries of the current ffmpeg run, shared by its renditions. */
  private clock?: { run: string; clock: SegmentClock };

  constructor(
    readonly channel: string,
    private readonly playlistOptions: Omit<MediaPlaylistOptions, 'name'>,
    private readonly log: Logger,
    private readonly onLiveChange: (live: boolean, publishId: string | null) => void,
  ) {}

  get isLive() {
    return this.live;
  }

  get currentPublishId() {
    return this.publishId ?? null;
  }

  /** Feeds one rendition's byte stream of one ffmpeg run (`run` names the run; its renditions share a segment clock). */
  attach(publishId: string, run: string, name: string, stream: Readable, nominalBandwidth: number, ladder?: string[]): void {
    if (publishId !== this.publishId) {
      this.publishId = publishId;
      this.active = [];
    }
    if (ladder && this.clock?.run !== run) this.replaceLadder(ladder);
    if (!this.active.includes(name)) this.active.push(name);
    let r = this.renditions.get(name);
    if (!r) {
      r = { name, playlist: new MediaPlaylist({ ...this.playlistOptions, name }), nominalBandwidth };
      this.renditions.set(name, r);
    }
    r.nominalBandwidth = nominalBandwidth;
    r.stream = stream;
    const rendition = r;
    if (this.clock?.run !== run) {
      const next = Math.max(0, ...[...this.renditions.values()].map((x) => (x.playlist.lastSegment?.msn ?? -1) + 1));
      this.clock = { run, clock: new SegmentClock(this.playlistOptions.segmentTarget, next) };
    }
    const clock = this.clock.clock;
    const splitter = new FragmentSplitter({
      onInit: (bytes, info) => {
        if (!info.video) this.log.warn({ rendition: name }, 'rendition has no video track');
        rendition.playlist.startStream(bytes, info);
      },
      onFragment: (fragment) => {
        rendition.playlist.addFragment(fragment, clock);
        if (!this.live && this.active.every((n) => this.renditions.get(n)?.playlist.hasContent && !this.renditions.get(n)?.playlist.ended)) {
          this.setLive(true);
        }
      },
    });
    stream.on('data', (chunk: Buffer) => {
      if (rendition.stream !== stream) return;
      try {
        splitter.push(chunk);
      } catch (err) {
        this.log.error({ rendition: name, err: (err as Error).message }, 'dropping corrupt rendition stream');
        stream.destroy();
      }
    });
    stream.on('error', (err) => this.log.warn({ rendition: name, err: err.message }, 'rendition stream error'));
  }

  /**
   * A new ffmpeg run of the same publish with a known ladder (a profile restart):
   * renditions it drops end (ENDLIST), and when the ladder changed the channel
   * goes offline until the new ladder is playing, so players reload the
   * multivariant playlist and learn the new renditions.
   */
  private replaceLadder(ladder: string[]) {
    const changed = this.active.length > 0 && (ladder.length !== this.active.length || ladder.some((n) => !this.active.includes(n)));
    for (const n of this.active) if (!ladder.includes(n)) this.renditions.get(n)?.playlist.end();
    this.active = [...ladder];
    // Live again once every rendition of the new ladder has content (onFragment).
    if (changed) this.setLive(false);
  }

  /** The broadcast is over: every playlist gets ENDLIST. */
  end(): void {
    for (const name of this.active) this.renditions.get(name)?.playlist.end();
    this.setLive(false);
  }

  playlist(name: string): MediaPlaylist | undefined {
    return this.renditions.get(name)?.playlist;
  }

  renderMedia(name: string, skip: boolean): string | undefined {
    const pl = this.playlist(name);
    if (!pl) return undefined;
    const reports = this.active
      .filter((n) => n !== name)
      .map((n) => renditionReport(n, this.renditions.get(n)!.playlist))
      .filter((r) => r !== undefined);
    return renderMediaPlaylist(pl, { skip, reports });
  }

  summaries(): RenditionSummary[] {
    return this.active.flatMap((name) => {
      const r = this.renditions.get(name)!;
      const info = r.playlist.init?.info;
      if (!info) return [];
      const measured = r.playlist.peakBitrate;
      return [{
        name,
        width: info.video?.width ?? 0,
        height: info.video?.height ?? 0,
        // The measured peak once a segment exists: what a player must really sustain.
        bandwidth: Math.round(measured > 0 ? measured : r.nominalBandwidth),
        frameRate: nominalFrameRate(r.playlist.frameRate),
        codecs: info.tracks.filter((t) => t.kind !== 'other').map((t) => t.codec),
      }];
    });
  }

  renderMultivariant(): string | undefined {
    const variants: VariantInfo[] = this.summaries();
    // Only the whole ladder (a player that saw one rendition would never learn of the others),
    // and only once each has media: its frame rate is measured from it.
    const ready = this.active.every((n) => this.renditions.get(n)?.playlist.hasContent);
    return ready && variants.length > 0 && variants.length === this.active.length ? renderMultivariantPlaylist(variants) : undefined;
  }

  /** Releases blocked requests and detaches streams (server stopping). */
  close(): void {
    for (const r of this.renditions.values()) {
      r.playlist.close();
      r.stream = undefined;
    }
  }

  private setLive(live: boolean) {
    if (live === this.live) return;
    this.live = live;
    this.onLiveChange(live, this.publishId ?? null);
  }
}
