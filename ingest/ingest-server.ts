import crypto from 'node:crypto';
import net from 'node:net';
import type { RtmpConfig } from '../core/config-schema';
import { fail } from '../core/errors';
import type { FlvFeed, LiveroomEvents, PublishEnded, PublishRejected, SourceInfo } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { redactStreamKeys } from './log-redaction';
import { NmsBridge, type NmsSession } from './nms-bridge';

export interface IngestDeps {
  config: RtmpConfig;
  /** The channel a stream key publishes to, or undefined. */
  channelForKey(key: string): string | undefined;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
}

interface Publish {
  id: string;
  channel: string;
  session: NmsSession;
  feeds: Set<FlvFeed>;
}

/** FLV codec ids, and the FourCCs enhanced RTMP announces as videocodecid (OBS: 'hvc1', 'av01'). */
const FLV_VIDEO_CODECS: Record<number, string> = { 7: 'h264', 12: 'hevc', 13: 'av1', 0x68766331: 'hevc', 0x61763031: 'av1', 0x76703039: 'vp9' };
const FOURCC_CODECS: Record<string, string> = { hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };
const FLV_AUDIO_CODECS: Record<number, string> = { 10: 'aac', 2: 'mp3' };

/**
 * RTMP ingest: accepts publishes to rtmp://HOST:PORT/<app>/<streamKey> for
 * known keys, refuses everything else before anything is spawned, and reports
 * a publisher leaving the moment its socket closes.
 */
export class IngestServer {
  private server?: net.Server;
  private bridge?: NmsBridge;
  private readonly sockets = new Set<net.Socket>();
  private readonly admitted = new Map<string, string>(); // NMS session id → channel
  private readonly publishes = new Map<string, Publish>(); // channel → publish

  constructor(private readonly deps: IngestDeps) {}

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  isLive(channel: string): boolean {
    return this.publishes.has(channel);
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    this.bridge = new NmsBridge(
      { prePublish: (s) => this.prePublish(s), postPublish: (s) => this.postPublish(s) },
      (message, level) => {
        // node-media-server logs stream paths and refused names, and both hold the key.
        log[level === 'error' ? 'warn' : 'debug']({ nms: level }, redactStreamKeys(message));
      },
    );
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.bridge?.stop();
        reject(
          err.code === 'EADDRINUSE'
            ? fail('LR_PORT_IN_USE', { service: 'RTMP', port: config.port, variable: 'LIVEROOM_RTMP_PORT', key: 'rtmp.port' })
            : fail('LR_LISTEN_FAILED', { service: 'RTMP', host: config.host, port: config.port, reason: err.message }),
        );
      });
      server.listen(config.port, config.host, () => resolve());
    });
    server.on('error', (err) => log.error({ err: err.message }, 'RTMP listener error'));
    log.info({ port: this.port }, 'RTMP ingest listening');
  }

  /** Disconnects the channel's publisher (moderation, profile restart). */
  kick(channel: string): boolean {
    const p = this.publishes.get(channel);
    if (!p) return false;
    this.endPublish(p, 'kicked');
    p.session.socket.destroy();
    return true;
  }

  /** Disconnects publishers whose stream key no longer opens their channel (revoked or rotated). */
  dropRevoked(): void {
    for (const p of [...this.publishes.values()]) {
      if (this.deps.channelForKey(p.session.streamName) !== p.channel) this.kick(p.channel);
    }
  }

  async stop(): Promise<void> {
    for (const p of [...this.publishes.values()]) this.endPublish(p, 'server-stopping');
    for (const s of this.sockets) s.destroy();
    this.bridge?.stop();
    const server = this.server;
    this.server = undefined;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket) {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // A connection that has not become an admitted publisher in time is dropped:
    // broken handshakes, scanners and idle sockets cannot pile up.
    const timer = setTimeout(() => {
      if (!this.isPublisherSocket(socket)) socket.destroy();
    }, this.deps.config.handshakeTimeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
    });
    socket.on('error', () => {});
    this.bridge!.attach(socket);
  }

  private isPublisherSocket(socket: net.Socket) {
    for (const p of this.publishes.values()) if (p.session.socket === socket) return true;
    return false;
  }

  private reject(session: NmsSession, reason: PublishRejected['reason']) {
    this.deps.log.warn({ remote: session.socket?.remoteAddress, reason }, 'publish rejected');
    this.deps.bus.emit('publish:rejected', { remoteAddress: session.socket?.remoteAddress ?? '', reason });
  }

  private prePublish(session: NmsSession) {
    if (!session.streamPath || !session.streamName) return this.reject(session, 'malformed');
    if (session.streamApp !== this.deps.config.app) return this.reject(session, 'wrong-app');
    const channel = this.deps.channelForKey(session.streamName);
    if (!channel) return this.reject(session, 'unknown-key');
    if (this.publishes.has(channel)) return this.reject(session, 'already-live');
    // prePublish and postPublish run in one call stack inside node-media-server.
    this.admitted.set(session.id, channel);
    session.socket.once('close', () => this.admitted.delete(session.id));
    this.bridge!.admit(session);
  }

  private postPublish(session: NmsSession) {
    const channel = this.admitted.get(session.id);
    this.admitted.delete(session.id);
    if (!channel || session.socket.destroyed) return; // not ours: node-media-server refused it already
    const publish: Publish = { id: crypto.randomBytes(8).toString('hex'), channel, session, feeds: new Set() };
    this.publishes.set(channel, publish);
    session.socket.once('close', () => this.endPublish(publish, 'publisher-left'));
    this.deps.log.info({ channel, publishId: publish.id, remote: session.socket.remoteAddress }, 'publish started');
    this.deps.bus.emit('publish:started', {
      channel,
      publishId: publish.id,
      startedAt: Date.now(),
      remoteAddress: session.socket.remoteAddress ?? '',
      openFeed: () => this.openFeed(publish),
      source: () => sourceInfo(session, this.bridge?.videoHeader(session.streamPath)),
    });
  }

  private openFeed(publish: Publish): FlvFeed {
    const sub = this.bridge!.subscribe(publish.session.streamPath);
    if (!sub || this.publishes.get(publish.channel) !== publish) {
      throw fail('LR_INGEST_PUBLISH_GONE', { channel: publish.channel });
    }
    const feed: FlvFeed = {
      stream: sub.stream,
      close: () => {
        publish.feeds.delete(feed);
        sub.close();
      },
    };
    publish.feeds.add(feed);
    return feed;
  }

  private endPublish(publish: Publish, reason: PublishEnded['reason']) {
    if (this.publishes.get(publish.channel) !== publish) return;
    this.publishes.delete(publish.channel);
    for (const feed of [...publish.feeds]) feed.close();
    this.deps.log.info({ channel: publish.channel, publishId: publish.id, reason }, 'publish ended');
    this.deps.bus.emit('publish:ended', { channel: publish.channel, publishId: publish.id, reason });
  }
}

function sourceInfo(s: NmsSession, videoHeader?: Buffer): SourceInfo {
  const header = videoSequenceHeader(videoHeader);
  return {
    width: s.videoWidth || 0,
    height: s.videoHeight || 0,
    frameRate: s.videoFramerate || 0,
    // What the stream really carries (its sequence header) over what the metadata announced.
    videoCodec: header?.codec ?? FLV_VIDEO_CODECS[s.videoCodec] ?? (s.videoCodec ? String(s.videoCodec) : ''),
    audioCodec: FLV_AUDIO_CODECS[s.audioCodec] ?? (s.audioCodec ? String(s.audioCodec) : ''),
    videoKbps: s.videoDatarate || 0,
    audioKbps: s.audioDatarate || 0,
    ...(header?.profile !== undefined ? { videoProfile: header.profile } : {}),
  };
}

/** The codec (and H.264 profile_idc) of an FLV video sequence header tag: 11-byte tag header, then the video data. */
export function videoSequenceHeader(tag: Buffer | undefined): { codec: string; profile?: number } | undefined {
  if (!tag || tag.length < 16) return undefined;
  const data = tag.subarray(11);
  if (data[0] & 0x80) {
    // Enhanced RTMP: IsExHeader, PacketType, then the FourCC.
    const codec = FOURCC_CODECS[data.toString('latin1', 1, 5)];
    return codec ? { codec } : undefined;
  }
  if ((data[0] & 0x0f) !== 7 || data[1] !== 0) return undefined;
  // AVCPacketType 0: the AVCDecoderConfigurationRecord follows the 3-byte composition time.
  return data.length > 6 ? { codec: 'h264', profile: data[6] } : { codec: 'h264' };
}
