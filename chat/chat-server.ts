import crypto from 'node:crypto';
import type http from 'node:http';
import type https from 'node:https';
import { Server } from 'socket.io';
import type { ChatConfig } from '../core/config-schema';
import type { Logger } from '../core/logger';
import type { LiveroomEvents } from '../core/events';
import type { TypedEmitter } from '../core/typed-emitter';
import type { ChatStores } from '../storage/stores';
import { normalizeAddress } from '../core/client-address';
import { CHAT_PATH } from './chat-events';
import { Admission } from './chat-admission';
import { handleConnection, type ConnectionDeps } from './chat-connection';
import { batchRoomOf, batchShardRoomOf, noticeMaker, roomOf, type ChatIo, type ChatSocket, type MakeNotice } from './chat-io';
import { AddressLimits } from './address-limits';
import { ChatRetention } from './chat-retention';
import { LikeAggregator } from './like-aggregator';
import { MessageBatcher } from './message-batcher';
import { MessageStore } from './message-store';
import { Moderation } from './moderation';
import type { RoleResolver } from './moderator-tokens';
import type { Clock } from '../core/clock';
import { RedisLink } from './redis-link';
import { ViewerCounter, type NodeViewerReport } from './viewer-counter';

export { userIdFor } from './chat-io';

export interface ChatServerDeps {
  /** The `chat` slice of the configuration. */
  config: ChatConfig;
  /** Messages, moderation and like totals (the SQLite ones by default). */
  stores: ChatStores;
  /** The chat's logger (the composition root passes `child({ module: 'chat' })`). */
  log: Logger;
  /** Whether a channel exists (connections to others are refused). */
  channelExists(name: string): Promise<boolean>;
  /** Which role a handshake token proves: a ModeratorTokens (moderator and streamer tokens; the admin token proves none). */
  moderatorTokens: RoleResolver;
  /** Tests move time; defaults to Date.now. */
  clock?: Clock;
  /**
   * Who a connection comes from (a ClientAddressResolver built from 'http.trustedProxies'); defaults to the
   * socket peer, never X-Forwarded-For.
   */
  clientAddress?(peer: string, forwardedFor: string | string[] | undefined): string;
  /**
   * Whether a browser page from `origin` may connect (the handshake's Origin header; undefined when there is none),
   * given the request's Host. Refused handshakes get HTTP 403 before any chat code runs. Defaults to any origin.
   */
  allowOrigin?(origin: string | undefined, host: string | undefined): boolean;
  /** Headers for every engine.io HTTP response (the server's security headers). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** Where accepted messages, refusals and moderation actions are told (chat:* events: metrics, webhooks). */
  bus?: TypedEmitter<LiveroomEvents>;
  /**
   * Milliseconds a channel's moderation state may be served from memory between store reads ('chat.moderationCacheMs';
   * the composition root sets it on PostgreSQL only); 0 or unset: every check reads the store.
   */
  moderationCacheMs?: number;
}

/**
 * Live chat over Socket.IO on the liveroom HTTP server, one room per channel.
 * `start(httpServer)` attaches, `stop()` disconnects every client, stops the
 * timers and detaches; the HTTP server and the stores belong to the caller.
 * How delivery and several nodes (Redis) work: chat/README.md.
 */
export class ChatServer {
  readonly messages: MessageStore;
  readonly moderation: Moderation;
  private readonly likes: LikeAggregator;
  private readonly viewers: ViewerCounter;
  private readonly batcher: MessageBatcher;
  private readonly admission: Admission;
  private readonly addressLimits: AddressLimits;
  private readonly retention: ChatRetention;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly makeNotice: MakeNotice;
  /** Handshake tokens of privileged connections; kept out of SocketData, which the adapter shares. */
  private readonly tokens = new WeakMap<ChatSocket, string>();
  private io: ChatIo | undefined;
  private httpServer: http.Server | https.Server | undefined;
  private httpListeners: { event: string; before: Function[] }[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private starting = false;
  private stopping = false;
  private connectionDeps: ConnectionDeps | undefined;
  /** Set while running on several nodes (chat.redisUrl). */
  private redis: RedisLink | undefined;
  /** This node's name in inter-node reports. */
  private readonly node = crypto.randomBytes(6).toString('hex');

  constructor(private readonly deps: ChatServerDeps) {
    const { config, stores } = deps;
    this.clock = deps.clock ?? Date.now;
    this.log = deps.log;
    this.makeNotice = noticeMaker(this.clock);
    this.messages = new MessageStore(stores.messages);
    this.moderation = new Moderation(stores.moderation, config, {
      messages: stores.messages,
      cacheMs: deps.moderationCacheMs ?? 0,
      clock: this.clock,
      // The other nodes drop what they cache of the channel (their own cache lapses after moderationCacheMs anyway).
      onChange: (channel) => {
        if (this.redis && deps.moderationCacheMs) this.io?.serverSideEmit('moderation:changed', { channel });
      },
    });
    const onError = (err: unknown) => this.log.error({ err }, 'chat timer task failed');
    this.likes = new LikeAggregator({
      store: stores.likes,
      intervalMs: config.likeBroadcastMs,
      broadcast: (count) => this.io?.to(roomOf(count.channel)).emit('likes', count),
      onError,
    });
    this.viewers = new ViewerCounter({
      intervalMs: config.viewerCountMs,
      // Each node counts everyone (its own viewers + the others' reports) and tells only its own viewers.
      broadcast: (count) => this.io?.local.to(roomOf(count.channel)).emit('viewers', count),
      onError,
      report: config.redisUrl
        ? (counts) => this.io?.serverSideEmit('viewers:report', { node: this.node, counts, ttlMs: this.reportTtlMs })
        : undefined,
    });
    this.batcher = new MessageBatcher({
      intervalMs: config.messageBatchMs,
      shards: config.batchShards,
      intervalFor: (channel) => batchIntervalMs(config, this.io?.of('/').adapter.rooms.get(batchRoomOf(channel))?.size ?? 0),
      // A message deleted while it waited (a quick moderator) is withdrawn from the batches (withdraw below).
      flush: (channel, batch, shard) => void this.io?.to(batchShardRoomOf(channel, shard)).emit('messages', batch),
      onError,
    });
    this.addressLimits = new AddressLimits(config, this.clock);
    this.retention = new ChatRetention({ days: config.retentionDays, stores, clock: this.clock, log: this.log });
    this.admission = new Admission({
      addressLimits: this.addressLimits,
      config,
      channelExists: (name) => deps.channelExists(name),
      moderatorTokens: deps.moderatorTokens,
      moderation: this.moderation,
      clock: this.clock,
      log: this.log,
      makeNotice: this.makeNotice,
      isStopping: () => this.stopping,
      tokens: this.tokens,
      clientAddress: deps.clientAddress ?? ((peer) => normalizeAddress(peer)),
      bus: deps.bus,
    });
  }

  /**
   * Registers a player session watching without chat (e.g. an SSE connection) from `address`; call the returned
   * function when it ends. One address counts as one viewer however many sessions it has.
   */
  addPlayer(channel: string, address: string): () => void {
    return this.viewers.addPlayer(channel, address);
  }

  /** Chat connections open from `address`, or from everyone (tests, status). */
  socketsOpen(address?: string): number {
    return this.addressLimits.socketsOpen(address);
  }

  /** Current viewers of a channel (what the next broadcast will say). */
  viewerCount(channel: string): number {
    return this.viewers.count(channel);
  }

  /** This node's viewers of a channel by how they watch: chat users, and player addresses without chat (metrics). */
  localViewers(channel: string): { chat: number; players: number } {
    return this.viewers.localBreakdown(channel);
  }

  /** The channel's viewers for analytics: the count (every node) and this node's viewer keys. */
  audience(channel: string): { count: number; keys: string[] } {
    return { count: this.viewers.count(channel), keys: this.viewers.localKeys(channel) };
  }

  /** The channel's likes: stored plus not yet written. */
  likeTotal(channel: string): Promise<number> {
    return this.likes.total(channel);
  }

  /**
   * Disconnects every chat connection (on every node, through the adapter)
   * that joined with this moderator or streamer token; call it after revoking
   * the token. Resolves with how many there were.
   */
  async disconnectToken(tokenId: string): Promise<number> {
    const io = this.io;
    if (!io) return 0;
    const sockets = (await io.fetchSockets()).filter((s) => s.data.tokenId === tokenId);
    for (const s of sockets) s.disconnect(true);
    if (sockets.length) this.log.info({ tokenId, sessions: sockets.length }, 'chat sessions of a revoked token disconnected');
    return sockets.length;
  }

  /** A report holds for three of our intervals: one lost report does not drop a node's viewers. */
  private get reportTtlMs(): number {
    return this.deps.config.viewerCountMs * 3 + 1000;
  }

  /**
   * Connects to Redis when `chat.redisUrl` is set (rejecting with
   * LR_REDIS_UNAVAILABLE, one line naming LIVEROOM_REDIS_URL, when it cannot),
   * then attaches to the HTTP server; resolves with this, so
   * `const chat = await new ChatServer(deps).start(server)` works.
   */
  async start(httpServer: http.Server | https.Server): Promise<this> {
    if (this.io || this.starting) throw new Error('ChatServer already started');
    this.starting = true;
    try {
      const { redisUrl } = this.deps.config;
      // Connected before the server exists: no client may join a node whose adapter is not there yet.
      this.redis = redisUrl ? await RedisLink.connect({ url: redisUrl, log: this.log }) : undefined;
    } finally {
      this.starting = false;
    }
    this.stopping = false;
    this.httpServer = httpServer;
    // engine.io takes over the server's request/upgrade listeners; remember them to give them back on stop().
    this.httpListeners = ['request', 'upgrade', 'close', 'listening'].map((event) => ({ event, before: httpServer.listeners(event) }));
    const io: ChatIo = new Server(httpServer, {
      path: CHAT_PATH,
      serveClient: false, // the player bundles socket.io-client
      maxHttpBufferSize: this.deps.config.maxPacketBytes,
      connectTimeout: 10_000,
      // A page from another site may not open the chat with its visitors' browsers (cross-site WebSocket hijacking).
      allowRequest: (req, callback) => {
        const allow = this.deps.allowOrigin ?? (() => true);
        const origin = req.headers.origin;
        callback(null, allow(Array.isArray(origin) ? origin[0] : origin, req.headers.host));
      },
      ...(this.redis && { adapter: this.redis.adapter }),
    });
    this.io = io;
    const extra = this.deps.responseHeaders;
    if (extra) io.engine.on('headers', (headers: Record<string, string>) => Object.assign(headers, extra));
    if (this.redis) {
      io.on('viewers:report', (report) => {
        if (!isViewerReport(report) || report.node === this.node) return;
        this.viewers.remoteReport(report);
      });
      io.on('moderation:changed', (change) => {
        if (typeof change?.channel === 'string') this.moderation.invalidate(change.channel);
      });
      io.on('message:withdrawn', (w) => {
        if (typeof w?.channel === 'string' && typeof w.id === 'string') this.batcher.withdraw(w.channel, w.id);
      });
    }
    io.use(this.admission.middleware);
    io.on('connection', (socket) => {
      try {
        handleConnection(this.connection, socket);
      } catch (err) {
        this.log.error({ err }, 'chat connection setup failed');
        socket.disconnect(true);
      }
    });
    this.likes.start();
    this.viewers.start();
    this.retention.start(); // purges once now, then daily
    this.sweepTimer = setInterval(() => {
      this.admission.sweep();
      this.moderation.sweep();
    }, 10_000);
    this.log.info({ path: CHAT_PATH, nodes: this.redis ? 'several (Redis)' : 'one' }, 'chat started');
    return this;
  }

  async stop(): Promise<void> {
    const io = this.io;
    if (!io) return;
    this.stopping = true;
    this.io = undefined;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.likes.stop(); // writes pending likes
    this.viewers.stop();
    this.retention.stop();
    this.batcher.stop();
    // The other nodes stop counting our viewers now rather than when our last report expires.
    if (this.redis) io.serverSideEmit('viewers:report', { node: this.node, counts: {}, ttlMs: 0 });
    this.detachFromHttp();
    // Not io.close(): that would also close the HTTP server, which belongs to the composition root.
    io.local.disconnectSockets(true);
    await Promise.allSettled([io.of('/').adapter.close()]);
    io.engine.close();
    io.removeAllListeners();
    // After the adapter: its reader loop is stopped; what was published still gets a moment to reach Redis.
    await this.redis?.close();
    this.redis = undefined;
    this.log.info('chat stopped');
  }

  /** Removes what engine.io added to the HTTP server and restores the listeners it took over. */
  private detachFromHttp(): void {
    const srv = this.httpServer;
    if (!srv) return;
    for (const { event, before } of this.httpListeners) {
      for (const l of srv.listeners(event)) if (!before.includes(l)) srv.removeListener(event, l as (...a: unknown[]) => void);
      for (const l of before) if (!srv.listeners(event).includes(l)) srv.on(event, l as (...a: unknown[]) => void);
    }
    this.httpListeners = [];
    this.httpServer = undefined;
  }

  /** What each connection's handlers use. */
  private get connection(): ConnectionDeps {
    return (this.connectionDeps ??= {
      config: this.deps.config,
      messages: this.messages,
      moderation: this.moderation,
      likes: this.likes,
      viewers: this.viewers,
      batcher: this.batcher,
      addressLimits: this.addressLimits,
      moderatorTokens: this.deps.moderatorTokens,
      tokens: this.tokens,
      clock: this.clock,
      log: this.log,
      makeNotice: this.makeNotice,
      withdraw: (channel, id) => {
        this.batcher.withdraw(channel, id);
        if (this.redis) this.io?.serverSideEmit('message:withdrawn', { channel, id });
      },
      io: () => this.io,
      bus: this.deps.bus,
    });
  }
}

/**
 * A room's batch interval for this many batch connections on this node: `messageBatchMs` while the room's packets fit
 * in `roomPacketsPerSecond`, then as long as it takes to fit, at most `messageBatchMaxMs`.
 */
export function batchIntervalMs(config: Pick<ChatConfig, 'messageBatchMs' | 'messageBatchMaxMs' | 'roomPacketsPerSecond'>, connections: number): number {
  const fit = Math.ceil((connections * 1000) / config.roomPacketsPerSecond);
  return Math.max(config.messageBatchMs, Math.min(fit, config.messageBatchMaxMs));
}

function isViewerReport(r: unknown): r is NodeViewerReport {
  if (typeof r !== 'object' || r === null) return false;
  const { node, counts, ttlMs } = r as Record<string, unknown>;
  return (
    typeof node === 'string' &&
    typeof ttlMs === 'number' &&
    typeof counts === 'object' &&
    counts !== null &&
    Object.values(counts).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)
  );
}
