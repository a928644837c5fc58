import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveroomEvents } from '../core/events';
import type { TypedEmitter } from '../core/typed-emitter';
import type { FeedDrops } from '../transcoder/feed-buffer';
import type { LiveTranscode } from '../transcoder/transcoder';
import { ProcessMetrics } from './process-metrics';

/** What the metrics read on each scrape besides the bus: counts the parts keep anyway. */
export interface MetricsDeps {
  bus: TypedEmitter<LiveroomEvents>;
  /** Every channel's name (per-channel gauges; read from the store at scrape time). */
  channels(): Promise<string[]>;
  /** The transcoder's live jobs: input bitrate, frame rates, dropped input frames. */
  transcodes(): LiveTranscode[];
  /** HLS requests held open now (blocking reloads, preload hints). */
  heldRequests(): number;
  /** This node's viewers of a channel: chat users, and player addresses without chat. */
  viewers(channel: string): { chat: number; players: number };
  /** Chat connections open on this node. */
  chatConnections(): number;
}

/** What an HLS request asked for (the request histogram's `kind`). */
export type HlsRequestKind = 'multivariant' | 'playlist' | 'blocking-playlist' | 'part' | 'segment' | 'init' | 'other';

const P = 'liveroom_';

/**
 * The Prometheus series of one server: counters driven by the bus events,
 * gauges read from the parts' own counts when scraped, the process's own
 * series beside them (process-metrics.ts), all in a registry of its own.
 * start() subscribes; stop() unsubscribes, stops the process collectors and
 * empties the registry.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly handlers: [keyof LiveroomEvents & string, (...a: never[]) => void][] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** Dropped input frames already counted, per publish (the transcoder counts per publish). */
  private readonly droppedSeen = new Map<string, FeedDrops>();
  /** Each channel's last channel:state. */
  private readonly live = new Map<string, boolean>();
  private readonly hlsRequests: Histogram<'kind' | 'status'>;
  private readonly process = new ProcessMetrics(this.registry);

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name: P + name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], collect: (g: Gauge<L>) => void | Promise<void>) =>
      new Gauge<L>({ name: P + name, help, labelNames, registers, async collect() { this.reset(); await collect(this); } });

    gauge('channel_live', 'Whether the channel is live: 1 while its playlists are playable, 0 otherwise.', ['channel'], async (g) => {
      for (const channel of new Set([...(await deps.channels()), ...this.live.keys()])) g.set({ channel }, this.live.get(channel) ? 1 : 0);
    });
    const publishes = counter('publishes_total', 'Publishes admitted (RTMP), per channel.', ['channel']);
    const publishEnds = counter('publishes_ended_total', 'Publishes that ended, by why.', ['channel', 'reason']);
    const refused = counter('rtmp_refused_total', 'RTMP connections and publishes refused, by reason.', ['reason']);
    const exits = counter('transcoder_exits_total', 'ffmpeg runs that ended while the publisher was live (crashes, failed starts).', ['channel', 'restarted']);
    const restarts = counter('transcoder_restarts_total', 'ffmpeg restarts after a run ended while the publisher was live.', ['channel']);
    const segments = counter('hls_segments_total', 'LL-HLS segments completed.', ['channel', 'rendition']);
    const parts = counter('hls_parts_total', 'LL-HLS parts in completed segments.', ['channel', 'rendition']);
    const messages = counter('chat_messages_total', 'Chat messages and bullet comments accepted.', ['channel', 'kind']);
    const chatRefusals = counter('chat_refusals_total', 'Chat connections, messages and packets refused, by chat error code.', ['code']);
    const moderation = counter('chat_moderation_actions_total', 'Moderation actions done by moderators and streamers.', ['channel', 'action']);
    const recordings = counter('recordings_ready_total', 'Recordings finished and indexed, by status.', ['status']);
    const shares = counter('shares_total', 'Shares of a channel (share button, copied link, embed code), by method.', ['channel', 'method']);
    const dropped: Counter<'channel' | 'track'> = new Counter({
      name: `${P}transcoder_dropped_frames_total`,
      help: 'Input frames dropped because ffmpeg fell behind and the input buffer was full.',
      labelNames: ['channel', 'track'],
      registers,
      collect: () => this.countDrops(dropped),
    });

    this.hlsRequests = new Histogram({
      name: `${P}hls_request_duration_seconds`,
      help: 'HLS requests by kind and status, with how long they took (blocking requests include the wait).',
      labelNames: ['kind', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
      registers,
    });

    gauge('hls_held_requests', 'HLS requests held open now, waiting for a part (blocking reloads, preload hints).', [], (g) => g.set(deps.heldRequests()));
    gauge('viewers', "Viewers on this node: distinct chat users (kind=chat) and player addresses without chat (kind=player).", ['channel', 'kind'], async (g) => {
      for (const channel of await deps.channels()) {
        const v = deps.viewers(channel);
        g.set({ channel, kind: 'chat' }, v.chat);
        g.set({ channel, kind: 'player' }, v.players);
      }
    });
    gauge('chat_connections', 'Chat connections open on this node.', [], (g) => g.set(deps.chatConnections()));
    gauge('ingest_bitrate_kbps', "The publisher's feed into the transcoder, kbit/s over the last seconds.", ['channel'], (g) => {
      for (const t of deps.transcodes()) g.set({ channel: t.channel }, t.inputKbps);
    });
    gauge('ingest_frame_rate', 'Frame rate the publisher announced (0 when unknown).', ['channel'], (g) => {
      for (const t of deps.transcodes()) g.set({ channel: t.channel }, t.source.frameRate);
    });
    gauge('transcoder_fps', "Frames per second ffmpeg reports it encodes (its progress), per channel.", ['channel'], (g) => {
      for (const t of deps.transcodes()) if (t.progress) g.set({ channel: t.channel }, t.progress.fps);
    });

    this.listen('channel:state', (e) => this.live.set(e.channel, e.live));
    this.listen('publish:started', (e) => publishes.inc({ channel: e.channel }));
    this.listen('publish:ended', (e) => publishEnds.inc({ channel: e.channel, reason: e.reason }));
    this.listen('ingest:refused', (e) => refused.inc({ reason: e.reason }));
    this.listen('transcoder:exited', (e) => {
      exits.inc({ channel: e.channel, restarted: String(e.willRestart) });
      if (e.willRestart) restarts.inc({ channel: e.channel });
    });
    this.listen('media:segment', (e) => {
      segments.inc({ channel: e.channel, rendition: e.rendition });
      parts.inc({ channel: e.channel, rendition: e.rendition }, e.parts);
    });
    this.listen('chat:message', (e) => messages.inc({ channel: e.channel, kind: e.kind }));
    this.listen('chat:refused', (e) => chatRefusals.inc({ code: e.code }));
    this.listen('chat:moderation', (e) => moderation.inc({ channel: e.channel, action: e.action }));
    this.listen('recording:ready', (e) => recordings.inc({ status: e.status }));
    this.listen('channel:shared', (e) => shares.inc({ channel: e.channel, method: e.method }));
  }

  start(): void {
    // The process's memory, CPU, handles, GC and event-loop lag, under their usual names (process_*, nodejs_*).
    this.process.start();
    for (const [event, fn] of this.handlers) {
      this.deps.bus.on(event, fn as never);
      this.unsubscribe.push(() => this.deps.bus.off(event, fn as never));
    }
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.process.stop();
    this.registry.clear();
    this.droppedSeen.clear();
    this.live.clear();
  }

  /** One HLS request answered (or abandoned, status 'aborted'). */
  observeHlsRequest(kind: HlsRequestKind, status: string, seconds: number): void {
    this.hlsRequests.observe({ kind, status }, seconds);
  }

  /** The Prometheus text exposition of every series. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private listen<K extends keyof LiveroomEvents & string>(event: K, fn: LiveroomEvents[K]) {
    this.handlers.push([event, fn as (...a: never[]) => void]);
  }

  /** Adds what the transcoder dropped since the last scrape to the counter. */
  private countDrops(dropped: Counter<'channel' | 'track'>): void {
    const live = this.deps.transcodes();
    const seen = new Map<string, FeedDrops>();
    for (const t of live) {
      const before = this.droppedSeen.get(t.publishId);
      dropped.inc({ channel: t.channel, track: 'video' }, Math.max(0, t.dropped.videoFrames - (before?.videoFrames ?? 0)));
      dropped.inc({ channel: t.channel, track: 'audio' }, Math.max(0, t.dropped.audioFrames - (before?.audioFrames ?? 0)));
      seen.set(t.publishId, t.dropped);
    }
    this.droppedSeen.clear();
    for (const [id, d] of seen) this.droppedSeen.set(id, d);
  }
}
