import crypto from 'node:crypto';
import type { LiveroomEvents, PublishEnded, PublishStarted, RenditionOutput, TranscoderExited } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';

/** What the coordinator needs from the transcoder (transcoder/transcoder.ts). */
export interface BroadcastTranscoder {
  /** Plans and spawns the channel's ffmpeg for this publish; settles once spawned (or given up). */
  begin(publish: PublishStarted): Promise<void>;
  /** Ends the channel's ffmpeg and resolves once it has exited and flushed its last fragments. */
  end(channel: string): Promise<void>;
}

/** What the coordinator needs from the packager (packager/packager.ts). */
export interface BroadcastPackager {
  /** Feeds a rendition of broadcast `broadcastId`: a new id starts new media playlists under new URIs. */
  attach(output: RenditionOutput, broadcastId: string): void;
  /** The publisher is gone but may come back: the playlists stay open (no ENDLIST) and players keep polling. */
  pause(channel: string): void;
  /** Every playlist of the channel gets ENDLIST. */
  end(channel: string): void;
}

/** What the coordinator needs from the ingest (ingest/ingest-server.ts). */
export interface BroadcastIngest {
  /** Disconnects the channel's publisher; false when none. */
  kick(channel: string): boolean;
}

export interface BroadcastDeps {
  bus: TypedEmitter<LiveroomEvents>;
  transcoder: BroadcastTranscoder;
  packager: BroadcastPackager;
  ingest: BroadcastIngest;
  log: Logger;
  /** A publisher that leaves and publishes again within this continues the same broadcast (hls.reconnectGraceMs); 0 ends at once. */
  reconnectGraceMs?: number;
}

/**
 * Where a channel is in its broadcast:
 * - `idle`: nothing on air (never published, or the last broadcast is flushed);
 * - `starting`: a publish arrived; waiting for the previous flush, then the transcoder is starting;
 * - `live`: the transcoder runs for the current publish (the packager decides when playlists are playable);
 * - `waiting`: the publisher left (or went silent) and may come back: the transcoder has flushed, the
 *   playlists stay open without ENDLIST, and a publish within the grace continues them after a
 *   discontinuity (same broadcast, same URIs); when the grace runs out the broadcast ends;
 * - `ending`: the broadcast is over; the transcoder is flushing, then the playlists get ENDLIST.
 * A kick or the server stopping ends at once, without a grace.
 */
export type BroadcastPhase = 'idle' | 'starting' | 'live' | 'waiting' | 'ending';

interface ChannelBroadcast {
  channel: string;
  phase: BroadcastPhase;
  /** The publish on air (or being started); null once it ended. */
  publishId: string | null;
  /** The broadcast: one publish plus the reconnects within the grace; names its media URIs. */
  broadcastId: string | null;
  /** Ends a `waiting` broadcast when the grace runs out. */
  graceTimer?: NodeJS.Timeout;
  /** Settles when the last broadcast on this channel is fully flushed (transcoder exited, ENDLIST written). */
  flushed: Promise<void>;
  /** Settles when the current publish's transcoder start settled. */
  started: Promise<void>;
}

/**
 * Owns each channel's publish → transcode → package sequence: subscribes to the
 * typed events, serializes a channel's starts and ends (a new publish waits for
 * the previous broadcast's flush), and kicks a publisher whose transcoder gave up.
 */
export class BroadcastCoordinator {
  private readonly channels = new Map<string, ChannelBroadcast>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: BroadcastDeps) {}

  start(): void {
    if (this.unsubscribe.length) return;
    this.listen('publish:started', (e) => this.publishStarted(e));
    this.listen('publish:ended', (e) => this.publishEnded(e));
    this.listen('rendition:output', (e) => this.renditionOutput(e));
    this.listen('transcoder:exited', (e) => this.transcoderExited(e));
  }

  private listen<K extends keyof LiveroomEvents & string>(event: K, fn: LiveroomEvents[K]) {
    this.deps.bus.on(event, fn);
    this.unsubscribe.push(() => this.deps.bus.off(event, fn));
  }

  /** Where the channel is (for status and tests). */
  phase(channel: string): BroadcastPhase {
    return this.channels.get(channel)?.phase ?? 'idle';
  }

  /** Ends every broadcast still on air and waits until each is flushed; stops listening. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const ch of this.channels.values()) if (ch.publishId !== null || ch.phase === 'waiting') this.endBroadcast(ch, 'server-stopping');
    await Promise.all([...this.channels.values()].map((ch) => ch.flushed));
  }

  private channel(name: string): ChannelBroadcast {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = { channel: name, phase: 'idle', publishId: null, broadcastId: null, flushed: Promise.resolve(), started: Promise.resolve() };
      this.channels.set(name, ch);
    }
    return ch;
  }

  private publishStarted(e: PublishStarted) {
    const ch = this.channel(e.channel);
    const log = this.deps.log.child({ channel: e.channel });
    const resumed = ch.phase === 'waiting';
    clearTimeout(ch.graceTimer);
    ch.graceTimer = undefined;
    if (!resumed) {
      const broadcastId = crypto.randomBytes(4).toString('hex');
      ch.broadcastId = broadcastId;
      this.deps.bus.emit('broadcast:started', { channel: e.channel, broadcastId, startedAt: e.startedAt });
    } else log.info({ publishId: e.publishId, broadcastId: ch.broadcastId }, 'publisher back within the reconnect grace: the broadcast continues');
    ch.publishId = e.publishId;
    ch.phase = 'starting';
    // A new publish waits for the previous broadcast on this channel to be fully flushed.
    ch.started = ch.flushed
      .then(async () => {
        if (ch.publishId !== e.publishId) return; // it ended (or was replaced) while we waited
        await this.deps.transcoder.begin(e);
        if (ch.publishId === e.publishId && ch.phase === 'starting') ch.phase = 'live';
      })
      .catch((err: Error) => log.error({ publishId: e.publishId, err: err.message }, 'transcoder failed to start'));
  }

  private publishEnded(e: PublishEnded) {
    const ch = this.channels.get(e.channel);
    if (!ch || ch.publishId !== e.publishId) return;
    this.publisherLeft(ch, e.reason);
  }

  private renditionOutput(e: RenditionOutput) {
    const ch = this.channels.get(e.channel);
    if (!ch?.broadcastId || ch.publishId !== e.publishId) return; // a late output of a publish already gone
    this.deps.packager.attach(e, ch.broadcastId);
  }

  /** The publisher is gone: it may come back within the grace (a dropped connection, OBS reconnecting), else the broadcast ends. */
  private publisherLeft(ch: ChannelBroadcast, reason: PublishEnded['reason']) {
    const graceMs = this.deps.reconnectGraceMs ?? 0;
    if (graceMs <= 0 || reason === 'kicked' || reason === 'server-stopping') return this.endBroadcast(ch, reason);
    const publishId = ch.publishId;
    ch.publishId = null;
    ch.phase = 'waiting';
    const log = this.deps.log.child({ channel: ch.channel });
    const flushed = ch.flushed
      .then(() => this.deps.transcoder.end(ch.channel))
      .catch((err: Error) => log.error({ publishId, err: err.message }, 'transcoder failed to stop'))
      .then(() => {
        if (ch.phase === 'waiting') this.deps.packager.pause(ch.channel);
      })
      .catch((err: Error) => log.error({ publishId, err: err.message }, 'packager failed to pause the playlists'));
    ch.flushed = flushed;
    ch.graceTimer = setTimeout(() => {
      ch.graceTimer = undefined;
      if (ch.phase === 'waiting') this.endBroadcast(ch, reason);
    }, graceMs);
    log.info({ publishId, reason, graceMs }, 'publisher gone: waiting for it to reconnect');
  }

  /** Stops the transcoder (it flushes), then ends the playlists; the channel's next publish waits for this. */
  private endBroadcast(ch: ChannelBroadcast, reason: PublishEnded['reason']) {
    const publishId = ch.publishId;
    const broadcastId = ch.broadcastId;
    clearTimeout(ch.graceTimer);
    ch.graceTimer = undefined;
    ch.publishId = null;
    ch.broadcastId = null;
    ch.phase = 'ending';
    const log = this.deps.log.child({ channel: ch.channel });
    const previous = ch.flushed;
    const flushed = previous
      .then(() => this.deps.transcoder.end(ch.channel))
      .catch((err: Error) => log.error({ publishId, err: err.message }, 'transcoder failed to stop'))
      .then(() => this.deps.packager.end(ch.channel))
      .catch((err: Error) => log.error({ publishId, err: err.message }, 'packager failed to end the playlists'))
      .then(() => {
        if (broadcastId) this.deps.bus.emit('broadcast:ended', { channel: ch.channel, broadcastId, endedAt: Date.now() });
      })
      .finally(() => {
        if (ch.flushed === flushed && ch.phase === 'ending') ch.phase = 'idle';
      });
    ch.flushed = flushed;
    log.debug({ publishId, reason }, 'broadcast ending');
  }

  private transcoderExited(e: TranscoderExited) {
    if (e.willRestart) return;
    const ch = this.channels.get(e.channel);
    if (!ch || ch.publishId !== e.publishId) return;
    this.deps.log
      .child({ channel: e.channel })
      .warn(
        { publishId: e.publishId, code: e.code, signal: e.signal, err: e.error },
        "disconnecting the publisher: ffmpeg keeps failing and the channel's restart budget is used up (transcoder.maxRestartsPerMinute)",
      );
    this.deps.ingest.kick(e.channel);
  }
}
