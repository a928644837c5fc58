import crypto from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { systemClock, type Clock } from '../core/clock';
import type { RtmpConfig } from '../core/config-schema';
import { fail } from '../core/errors';
import type { FlvFeed, IngestRefused, LiveroomEvents, PublishEnded, PublishRejected, SourceInfo } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { gateConnections } from './accept-gate';
import { AddressGuard } from './address-guard';
import { redactStreamKeys } from './log-redaction';
import { NmsBridge, type NmsSession, type PublishVerdict, type RtmpConnection } from './nms-bridge';
import { RefusalLog } from './refusal-log';
import { RtmpsListener } from './rtmps-listener';

export interface IngestDeps {
  config: RtmpConfig;
  /** The channel a stream key publishes to, or undefined. */
  channelForKey(key: string): Promise<string | undefined>;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
  clock?: Clock;
  /**
   * Asked before a valid-key publish is admitted: a reason to refuse it, or undefined. Nodes on separate hosts
   * refuse a publish for a channel another node is live with (one origin per channel across the nodes).
   */
  refusePublish?(channel: string): string | undefined;
  /** With a certificate, RTMPS is also served on rtmp.tlsPort (see rtmps-listener.ts); asked per connection, so a renewal applies at once. */
  secureContext?: () => tls.SecureContext;
}

interface Publish {
  id: string;
  channel: string;
  conn: RtmpConnection;
  feeds: Set<FlvFeed>;
}

interface Connection {
  conn: RtmpConnection;
  address: string;
}

/** What an encoder is told (ffmpeg prints it as "Server error: …") when its key could not be checked. */
const STORE_UNAVAILABLE_DESCRIPTION = "the stream key could not be checked: the server's database is unavailable; try again";
const storeUnavailable = (reason: string) => fail('LR_INGEST_STORE_UNAVAILABLE', { reason }).message;

/** How often live publishes are checked for silence. */
const WATCH_MS = 250;
/** How often the per-address tables are swept and refusal summaries written. */
const SWEEP_MS = 2000;

/** FLV codec ids, and the FourCCs enhanced RTMP announces as videocodecid (OBS: 'hvc1', 'av01'). */
const FLV_VIDEO_CODECS: Record<number, string> = { 7: 'h264', 12: 'hevc', 13: 'av1', 0x68766331: 'hevc', 0x61763031: 'av1', 0x76703039: 'vp9' };
const FOURCC_CODECS: Record<string, string> = { hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };
const FLV_AUDIO_CODECS: Record<number, string> = { 10: 'aac', 2: 'mp3' };

/**
 * RTMP ingest: accepts publishes to rtmp://HOST:PORT/<app>/<streamKey> for
 * known keys and refuses everything else before anything is spawned. Before a
 * key is proven a connection is cheap and bounded (per-address and global
 * connection caps, failed attempts backed off, a byte and message-size budget:
 * see nms-bridge.ts). A publisher is over the moment its socket closes or it
 * sends no media for rtmp.mediaTimeoutMs; a valid-key publish takes over a
 * channel whose publisher has been silent for rtmp.takeoverAfterMs (an encoder
 * reconnecting after its network path died), and is refused while that one is
 * healthy.
 */
export class IngestServer {
  private server?: net.Server;
  private rtmps?: RtmpsListener;
  private bridge?: NmsBridge;
  private guard?: AddressGuard;
  private refusals?: RefusalLog;
  private timers: NodeJS.Timeout[] = [];
  /** Open connections, oldest first (the order eviction at the cap relies on). */
  private readonly conns = new Map<net.Socket, Connection>();
  private readonly publishes = new Map<string, Publish>(); // channel → publish
  private readonly pendingChannel = new WeakMap<RtmpConnection, string>();
  /** Connections whose stream key is being looked up in the store. */
  private readonly checking = new WeakSet<RtmpConnection>();
  /** Whether the last key lookup failed (the store is down): its error is logged once, and its recovery. */
  private storeDown = false;
  /** Why the store failed a connection's key lookup, for its refusal's log line. */
  private readonly storeErrors = new WeakMap<RtmpConnection, string>();
  private readonly clock: Clock;

  constructor(private readonly deps: IngestDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** The RTMPS port, or 0 without a certificate. */
  get tlsPort(): number {
    return this.rtmps?.port ?? 0;
  }

  isLive(channel: string): boolean {
    return this.publishes.has(channel);
  }

  /** Open RTMP connections, admitted or not, and addresses remembered (tests and status). */
  stats(): { connections: number; publishes: number; addresses: number } {
    return { connections: this.conns.size, publishes: this.publishes.size, addresses: this.guard?.size ?? 0 };
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    this.guard = new AddressGuard(config, this.clock);
    this.refusals = new RefusalLog(log, config.refusalLogIntervalMs, this.clock);
    this.bridge = new NmsBridge(
      config,
      {
        authorize: (conn, app, name) => this.authorize(conn, app, name),
        refused: (conn, reason, description) => this.refused(conn, reason, description),
        admitted: (conn) => this.admitted(conn),
        violation: (conn, rule) => this.failed(this.addressOf(conn), 'protocol-violation', { rule }),
      },
      (message, level) => {
        // node-media-server logs stream paths and refused names, and both hold the key.
        log[level === 'error' ? 'warn' : 'debug']({ nms: level }, redactStreamKeys(message));
      },
    );
    const server = net.createServer();
    gateConnections(server, (address) => this.admitAddress(address), (socket, address) => this.onConnection(socket, address));
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
    if (this.deps.secureContext) {
      this.rtmps = new RtmpsListener({
        port: config.tlsPort,
        host: config.host,
        secureContext: this.deps.secureContext,
        admit: (address) => this.admitAddress(address),
        onConnection: (raw, address, upgrade) => this.onConnection(raw, address, upgrade),
      });
      await this.rtmps.start((err) => log.error({ err: err.message }, 'RTMPS listener error'));
      log.info({ port: this.tlsPort }, 'RTMPS ingest listening');
    }
    this.timers.push(setInterval(() => this.watchSilence(), WATCH_MS));
    this.timers.push(
      setInterval(() => {
        this.guard?.sweep();
        this.refusals?.flush();
      }, SWEEP_MS),
    );
    log.info({ port: this.port }, 'RTMP ingest listening');
  }

  /** Disconnects the channel's publisher (moderation, profile restart). */
  kick(channel: string): boolean {
    const p = this.publishes.get(channel);
    if (!p) return false;
    this.endPublish(p, 'kicked');
    return true;
  }

  /** Disconnects publishers whose stream key no longer opens their channel (revoked or rotated). */
  async dropRevoked(): Promise<void> {
    for (const p of [...this.publishes.values()]) {
      const channel = await this.deps.channelForKey(p.conn.streamName);
      if (channel !== p.channel && this.publishes.get(p.channel) === p) this.kick(p.channel);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const p of [...this.publishes.values()]) this.endPublish(p, 'server-stopping');
    for (const { conn } of this.conns.values()) conn.destroy();
    this.bridge?.stop();
    this.refusals?.close();
    const server = this.server;
    this.server = undefined;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.rtmps?.stop();
    this.rtmps = undefined;
  }

  private addressOf(conn: RtmpConnection): string {
    return this.conns.get(conn.socket)?.address ?? conn.socket.remoteAddress ?? '';
  }

  /**
   * Whether a connection just accepted from `address` may go on; registers it with the guard when it may.
   * Refusals cost one accept and one close (see accept-gate.ts): nothing is parsed, no socket is made, no TLS handshake.
   */
  private admitAddress(address: string): boolean {
    const { config } = this.deps;
    const refusal = this.guard!.open(address);
    if (refusal) {
      const detail = refusal === 'backed-off' ? { backoffLeftMs: this.guard!.backoffLeft(address) } : { limit: config.maxConnectionsPerAddress };
      this.refuse(address, refusal, detail);
      return false;
    }
    if (this.conns.size >= config.maxConnections && !this.evictOldestPending()) {
      this.guard!.close(address);
      this.refuse(address, 'server-full', { limit: config.maxConnections });
      return false;
    }
    return true;
  }

  /** A connection admitAddress() let in; `upgrade` (RTMPS) starts TLS on it. */
  private onConnection(raw: net.Socket, address: string, upgrade?: () => tls.TLSSocket) {
    const { config } = this.deps;
    raw.on('error', () => {});
    raw.setNoDelay(true);
    const socket = upgrade ? this.secure(raw, address, upgrade) : raw;
    const conn = this.bridge!.attach(socket);
    this.conns.set(socket, { conn, address });
    // A connection that has not become an admitted publisher in time is dropped and counts as a failure:
    // stalled handshakes, scanners and idle sockets cannot pile up.
    const timer = setTimeout(() => {
      if (conn.admitted || socket.destroyed) return;
      conn.destroy();
      // Still waiting for the store to answer the key lookup: the store's failure, not the publisher's.
      if (this.checking.has(conn)) {
        const reason = `no answer within ${config.handshakeTimeoutMs} ms`;
        this.storeFailed(reason);
        this.refuse(address, 'store-unavailable', { code: 'LR_INGEST_STORE_UNAVAILABLE', afterMs: config.handshakeTimeoutMs }, storeUnavailable(reason));
      } else this.failed(address, 'timeout', { afterMs: config.handshakeTimeoutMs });
    }, config.handshakeTimeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      this.conns.delete(socket);
      this.guard?.close(address);
    });
  }

  /** The TLS socket RTMP runs on; a failed handshake (garbage, a scanner, an old client) is a failed attempt for the address. */
  private secure(raw: net.Socket, address: string, upgrade: () => tls.TLSSocket): tls.TLSSocket {
    const socket = upgrade();
    let handshaken = false;
    socket.once('secure', () => (handshaken = true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (handshaken) return;
      handshaken = true; // one failure per connection
      socket.destroy();
      this.failed(address, 'tls-handshake', { tlsError: (err.code ?? err.message).slice(0, 80) });
    });
    return socket;
  }

  /** At the global cap, the oldest connection still short of a publish makes room; admitted publishers are never evicted. */
  private evictOldestPending(): boolean {
    for (const [socket, c] of this.conns) {
      if (c.conn.admitted) continue;
      c.conn.destroy();
      this.conns.delete(socket);
      this.refuse(c.address, 'evicted-at-capacity', { limit: this.deps.config.maxConnections });
      return true;
    }
    return false;
  }

  /** A failed attempt: counted against the address (growing backoff) and logged at most once per interval. */
  private failed(address: string, reason: IngestRefused['reason'], detail: Record<string, unknown> = {}) {
    const backoffMs = this.guard?.fail(address) ?? 0;
    this.refuse(address, reason, backoffMs ? { ...detail, backoffMs } : detail);
  }

  /** Every refusal: logged (at most once per address per interval) and told on the bus (metrics). */
  private refuse(address: string, reason: IngestRefused['reason'], detail: Record<string, unknown>, message?: string) {
    this.refusals?.refused(address, reason, detail, message);
    this.deps.bus.emit('ingest:refused', { remoteAddress: address, reason });
  }

  /** The key is looked up first (the store may be remote); everything after it is decided synchronously, with the admission. */
  private async authorize(conn: RtmpConnection, app: string, key: string): Promise<PublishVerdict> {
    const { config, log } = this.deps;
    if (app !== config.app) return { ok: false, reason: 'wrong-app', description: `unknown application '${app}'` };
    let channel: string | undefined;
    this.checking.add(conn);
    try {
      channel = await this.deps.channelForKey(key);
    } catch (err) {
      // Not a failed attempt of the address (see refused()); logged once per outage, and per address like every refusal.
      const reason = (err as Error).message.slice(0, 200);
      this.storeErrors.set(conn, reason);
      this.storeFailed(reason);
      return { ok: false, reason: 'store-unavailable', description: STORE_UNAVAILABLE_DESCRIPTION };
    } finally {
      this.checking.delete(conn);
    }
    if (this.storeDown) {
      this.storeDown = false;
      log.info('stream key lookups answer again: publishes are checked as usual');
    }
    if (!channel) return { ok: false, reason: 'unknown-key', description: 'unknown stream key' };
    const elsewhere = this.deps.refusePublish?.(channel);
    if (elsewhere) return { ok: false, reason: 'already-live', description: elsewhere };
    const current = this.publishes.get(channel);
    if (current) {
      const silentMs = this.clock() - current.conn.lastMediaAt;
      if (silentMs < config.takeoverAfterMs) {
        return {
          ok: false,
          reason: 'already-live',
          description: `channel '${channel}' is live with a healthy publisher (last media ${silentMs} ms ago); a new publish takes over only after ${config.takeoverAfterMs} ms without media`,
        };
      }
      log.warn({ channel, publishId: current.id, silentMs, remote: this.addressOf(conn) }, 'new publish takes over from a silent publisher');
      this.endPublish(current, 'replaced');
    }
    this.pendingChannel.set(conn, channel);
    return { ok: true };
  }

  /** A key lookup the store failed: one error line when lookups start failing (the refusals themselves are rate-limited per address). */
  private storeFailed(reason: string) {
    if (this.storeDown) return;
    this.storeDown = true;
    this.deps.log.error({ code: 'LR_INGEST_STORE_UNAVAILABLE', err: reason }, storeUnavailable(reason));
  }

  private refused(conn: RtmpConnection, reason: PublishRejected['reason'], description: string) {
    const address = this.addressOf(conn);
    // A wrong key or path is a failed attempt; a second publisher with a valid key is not (OBS retrying), and neither is
    // a key the store could not check (an encoder retrying through a database outage must not be backed off after it).
    if (reason === 'already-live') this.refuse(address, reason, { description }, 'publish refused');
    else if (reason === 'store-unavailable') {
      const err = this.storeErrors.get(conn) ?? 'unknown';
      this.refuse(address, reason, { code: 'LR_INGEST_STORE_UNAVAILABLE', err }, storeUnavailable(err));
    } else this.failed(address, reason, { description });
    this.deps.bus.emit('publish:rejected', { remoteAddress: address, reason });
  }

  private admitted(conn: RtmpConnection) {
    const channel = this.pendingChannel.get(conn);
    this.pendingChannel.delete(conn);
    if (!channel || conn.socket.destroyed) return conn.destroy();
    conn.socket.setKeepAlive(true, this.deps.config.keepAliveMs);
    const publish: Publish = { id: crypto.randomBytes(8).toString('hex'), channel, conn, feeds: new Set() };
    this.publishes.set(channel, publish);
    const remoteAddress = this.addressOf(conn);
    conn.socket.once('close', () => this.endPublish(publish, 'publisher-left'));
    this.deps.log.info({ channel, publishId: publish.id, remote: remoteAddress }, 'publish started');
    this.deps.bus.emit('publish:started', {
      channel,
      publishId: publish.id,
      startedAt: this.clock(),
      remoteAddress,
      openFeed: () => this.openFeed(publish),
      source: () => sourceInfo(conn.session, this.bridge?.videoHeader(conn)),
    });
  }

  private watchSilence() {
    const now = this.clock();
    for (const p of [...this.publishes.values()]) {
      const silentMs = now - p.conn.lastMediaAt;
      if (silentMs < this.deps.config.mediaTimeoutMs) continue;
      this.deps.log.warn({ channel: p.channel, publishId: p.id, silentMs }, 'publisher sent no media: disconnecting it');
      this.endPublish(p, 'publisher-silent');
    }
  }

  private openFeed(publish: Publish): FlvFeed {
    const sub = this.publishes.get(publish.channel) === publish ? this.bridge!.subscribe(publish.conn) : undefined;
    if (!sub) throw fail('LR_INGEST_PUBLISH_GONE', { channel: publish.channel });
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
    // Synchronously out of node-media-server's stream table: a takeover's publish registers right after.
    this.bridge!.release(publish.conn);
    publish.conn.destroy();
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
