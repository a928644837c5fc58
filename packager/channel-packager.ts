import type { Readable } from 'node:stream';
import type { MediaInit, MediaSegment } from '../core/events';
import type { Logger } from '../core/logger';
import { FragmentSplitter } from './fragment-splitter';
import { MediaPlaylist, type MediaPlaylistOptions, type Segment } from './media-playlist';
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

/** A media playlist as rendered at `stamp` (its revisions), and its bytes once they were asked for. */
interface Rendered {
  stamp: string;
  text: string;
  bytes?: Buffer;
}

interface Rendition {
  name: string;
  playlist: MediaPlaylist;
  nominalBandwidth: number;
  stream?: Readable;
}

/** One broadcast's media playlists: a publish and its reconnects within the grace share them. */
interface Broadcast {
  id: string;
  renditions: Map<string, Rendition>;
  /** Renditions of its current (or last) ladder, in ladder order. */
  active: string[];
  /** Rendered media playlists by `<rendition> <skip>`, with the revisions they were rendered at. */
  rendered: Map<string, Rendered>;
}

/** Where completed media goes besides the live window (the recorder, through the bus): inits and whole segments. */
export interface MediaSink {
  init(e: MediaInit): void;
  segment(e: MediaSegment): void;
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
 * rendition reports, live or not). Each broadcast has its own media playlists
 * under its own URIs (`<broadcast>/<rendition>/index.m3u8`), so a playlist that
 * got ENDLIST never changes again; the previous broadcast stays served (ended)
 * for players still holding it.
 */
export class ChannelPackager {
  private broadcast?: Broadcast;
  private previous?: Broadcast;
  private publishId?: string;
  private live = false;
  /** Segment boundaries of the current ffmpeg run, shared by its renditions. */
  private clock?: { run: string; clock: SegmentClock };

  constructor(
    readonly channel: string,
    private readonly playlistOptions: Omit<MediaPlaylistOptions, 'name'>,
    private readonly log: Logger,
    private readonly onLiveChange: (live: boolean, publishId: string | null) => void,
    private readonly media?: MediaSink,
  ) {}

  get isLive() {
    return this.live;
  }

  get currentPublishId() {
    return this.publishId ?? null;
  }

  /** The current broadcast's id (its media URIs' first path segment), if any. */
  get broadcastId(): string | undefined {
    return this.broadcast?.id;
  }

  private get renditions(): Map<string, Rendition> {
    return this.broadcast?.renditions ?? new Map();
  }

  private get active(): string[] {
    return this.broadcast?.active ?? [];
  }

  /**
   * Feeds one rendition's byte stream of one ffmpeg run (`run` names the run; its renditions share a
   * segment clock) of broadcast `broadcastId`. A new broadcast id starts new playlists; the same id
   * with a new publish (a reconnect) continues them after a discontinuity.
   */
  attach(broadcastId: string, publishId: string, run: string, name: string, stream: Readable, nominalBandwidth: number, ladder?: string[]): void {
    if (broadcastId !== this.broadcast?.id) {
      if (this.broadcast) for (const r of this.broadcast.renditions.values()) if (!r.playlist.ended) r.playlist.end();
      this.previous = this.broadcast;
      this.broadcast = { id: broadcastId, renditions: new Map(), active: [], rendered: new Map() };
      this.clock = undefined;
    }
    const broadcast = this.broadcast;
    if (publishId !== this.publishId) this.publishId = publishId;
    if (ladder && this.clock?.run !== run) this.replaceLadder(ladder);
    if (!broadcast.active.includes(name)) broadcast.active.push(name);
    let r = broadcast.renditions.get(name);
    if (!r) {
      const onSegmentComplete = this.media && ((seg: Segment) => this.mediaSegment(broadcast.id, name, seg));
      r = { name, playlist: new MediaPlaylist({ ...this.playlistOptions, name, onSegmentComplete }), nominalBandwidth };
      broadcast.renditions.set(name, r);
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
        this.mediaInit(broadcast, name, rendition.playlist);
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
    const b = this.broadcast!;
    const changed = b.active.length > 0 && (ladder.length !== b.active.length || ladder.some((n) => !b.active.includes(n)));
    for (const n of b.active) if (!ladder.includes(n)) b.renditions.get(n)?.playlist.end();
    b.active = [...ladder];
    // Live again once every rendition of the new ladder has content (onFragment).
    if (changed) this.setLive(false);
  }

  /** The publisher is gone for now: segments in progress close, playlists stay open (no ENDLIST) until it returns or end(). */
  pause(): void {
    for (const name of this.active) this.renditions.get(name)?.playlist.pause();
  }

  /** The broadcast is over: every playlist gets ENDLIST. */
  end(): void {
    for (const name of this.active) this.renditions.get(name)?.playlist.end();
    this.setLive(false);
  }

  /** Is the current broadcast waiting for its publisher to come back? */
  get reconnecting(): boolean {
    const pls = this.active.map((n) => this.renditions.get(n)?.playlist);
    return pls.length > 0 && pls.every((pl) => pl?.paused && !pl.ended);
  }

  /** A rendition's playlist in the current or the previous broadcast. */
  playlist(broadcastId: string, name: string): MediaPlaylist | undefined {
    return this.find(broadcastId)?.renditions.get(name)?.playlist;
  }

  renderMedia(broadcastId: string, name: string, skip: boolean): string | undefined {
    return this.renderedMedia(broadcastId, name, skip)?.text;
  }

  /** The same playlist as bytes, encoded once per rendering (what the HTTP handler writes). */
  renderMediaBytes(broadcastId: string, name: string, skip: boolean): Buffer | undefined {
    const r = this.renderedMedia(broadcastId, name, skip);
    return r && (r.bytes ??= Buffer.from(r.text));
  }

  private renderedMedia(broadcastId: string, name: string, skip: boolean): Rendered | undefined {
    const b = this.find(broadcastId);
    const pl = b?.renditions.get(name)?.playlist;
    if (!b || !pl) return undefined;
    // Every viewer of a rendition asks for the same playlist (a blocking reload wakes them all at
    // once): render it once per change of it or of the renditions it reports on.
    const key = skip ? `${name} true` : `${name} false`;
    let stamp = `${pl.revision} `;
    for (let i = 0; i < b.active.length; i++) stamp += `${i ? ',' : ''}${b.active[i]}:${b.renditions.get(b.active[i])?.playlist.revision}`;
    const hit = b.rendered.get(key);
    if (hit?.stamp === stamp) return hit;
    const reports = b.active
      .filter((n) => n !== name)
      .map((n) => renditionReport(n, b.renditions.get(n)!.playlist))
      .filter((r) => r !== undefined);
    const entry: Rendered = { stamp, text: renderMediaPlaylist(pl, { skip, reports }) };
    b.rendered.set(key, entry);
    return entry;
  }

  /** Is `broadcastId` the current or the previous broadcast (the ones still served)? */
  hasBroadcast(broadcastId: string): boolean {
    return this.find(broadcastId) !== undefined;
  }

  private find(broadcastId: string): Broadcast | undefined {
    return [this.broadcast, this.previous].find((b) => b?.id === broadcastId);
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
    return ready && variants.length > 0 && variants.length === this.active.length ? renderMultivariantPlaylist(variants, this.broadcast!.id) : undefined;
  }

  /** Releases blocked requests and detaches streams (server stopping). */
  close(): void {
    for (const b of [this.broadcast, this.previous]) {
      for (const r of b?.renditions.values() ?? []) {
        r.playlist.close();
        r.stream = undefined;
      }
    }
  }

  private mediaInit(b: Broadcast, rendition: string, pl: MediaPlaylist) {
    const init = pl.init;
    if (!this.media || !init) return;
    this.media.init({
      channel: this.channel,
      broadcastId: b.id,
      rendition,
      initId: init.id,
      bytes: init.bytes,
      ladder: [...b.active],
      width: init.info.video?.width ?? 0,
      height: init.info.video?.height ?? 0,
      codecs: init.info.tracks.filter((t) => t.kind !== 'other').map((t) => t.codec),
    });
  }

  private mediaSegment(broadcastId: string, rendition: string, s: Segment) {
    if (!this.media || !s.bytes) return;
    this.media.segment({
      channel: this.channel,
      broadcastId,
      rendition,
      msn: s.msn,
      initId: s.initId,
      duration: s.duration,
      programDateTime: s.programDateTime,
      discontinuity: s.discontinuity,
      bytes: s.bytes,
      parts: s.parts.length,
    });
  }

  private setLive(live: boolean) {
    if (live === this.live) return;
    this.live = live;
    this.onLiveChange(live, this.publishId ?? null);
  }
}
