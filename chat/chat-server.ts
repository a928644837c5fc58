import type http from 'node:http';
import { Server } from 'socket.io';
import type { ChatConfig } from '../server/config-schema';
import type { Logger } from '../server/logger';
import type { Db } from '../storage/database';
import { CHAT_PATH } from './chat-events';
import { Admission } from './chat-admission';
import { handleConnection, type ConnectionDeps } from './chat-connection';
import { noticeMaker, roomOf, type ChatIo, type ChatSocket, type MakeNotice } from './chat-io';
import { LikeAggregator, LikeStore } from './like-aggregator';
import { MessageStore } from './message-store';
import type { ModerationContext } from './moderation-actions';
import { Moderation } from './moderation';
import type { RoleResolver } from './moderator-tokens';
import type { Clock } from './rate-limiter';
import { ViewerCounter } from './viewer-counter';

export { userIdFor } from './chat-io';

export interface ChatServerDeps {
  /** The `chat` slice of the configuration. */
  config: ChatConfig;
  db: Db;
  /** The root logger; the chat logs as `child({ module: 'chat' })`. */
  logger: Logger;
  /** Whether a channel exists (connections to others are refused). */
  channelExists(name: string): boolean;
  /** Which role a handshake token proves: a ModeratorTokens (moderator tokens + the admin token). */
  moderatorTokens: RoleResolver;
  /** Tests move time; defaults to Date.now. */
  clock?: Clock;
}

/**
 * Live chat over Socket.IO on the liveroom HTTP server: one room per channel,
 * messages stored before they are acknowledged and broadcast, history on
 * join, likes aggregated, viewer counts, moderation, rate limits.
 *
 * `start(httpServer)` attaches to the server (listening or not);
 * `stop()` disconnects every client, stops the timers and detaches from the
 * HTTP server, which keeps serving everything else. The HTTP server itself
 * and the database belong to the caller.
 */
export class ChatServer {
  readonly messages: MessageStore;
  readonly moderation: Moderation;
  private readonly likes: LikeAggregator;
  private readonly viewers: ViewerCounter;
  private readonly admission: Admission;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly makeNotice: MakeNotice;
  /** Handshake tokens of privileged connections; kept out of SocketData, which the adapter shares. */
  private readonly tokens = new WeakMap<ChatSocket, string>();
  private io: ChatIo | undefined;
  private httpServer: http.Server | undefined;
  private httpListeners: { event: string; before: Function[] }[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private connectionDeps: ConnectionDeps | undefined;

  constructor(private readonly deps: ChatServerDeps) {
    const { config, db } = deps;
    this.clock = deps.clock ?? Date.now;
    this.log = deps.logger.child({ module: 'chat' });
    this.makeNotice = noticeMaker(this.clock);
    this.messages = new MessageStore(db);
    this.moderation = new Moderation(db, config);
    const onError = (err: unknown) => this.log.error({ err }, 'chat timer task failed');
    this.likes = new LikeAggregator({
      store: new LikeStore(db),
      intervalMs: config.likeBroadcastMs,
      broadcast: (count) => this.io?.to(roomOf(count.channel)).emit('likes', count),
      onError,
    });
    this.viewers = new ViewerCounter({
      intervalMs: config.viewerCountMs,
      broadcast: (count) => this.io?.to(roomOf(count.channel)).emit('viewers', count),
      onError,
    });
    this.admission = new Admission({
      config,
      channelExists: (name) => deps.channelExists(name),
      moderatorTokens: deps.moderatorTokens,
      moderation: this.moderation,
      clock: this.clock,
      log: this.log,
      makeNotice: this.makeNotice,
      isStopping: () => this.stopping,
      tokens: this.tokens,
    });
  }

  /** Registers a player session watching without chat (e.g. an SSE connection); call the returned function when it ends. */
  addPlayer(channel: string): () => void {
    return this.viewers.addPlayer(channel);
  }

  /** Current viewers of a channel (what the next broadcast will say). */
  viewerCount(channel: string): number {
    return this.viewers.count(channel);
  }

  /** Attaches to the HTTP server; returns this, so `const chat = new ChatServer(deps).start(server)` works. */
  start(httpServer: http.Server): this {
    if (this.io) throw new Error('ChatServer already started');
    this.stopping = false;
    this.httpServer = httpServer;
    // engine.io takes over the server's request/upgrade listeners; remember them to give them back on stop().
    this.httpListeners = ['request', 'upgrade', 'close', 'listening'].map((event) => ({ event, before: httpServer.listeners(event) }));
    const io: ChatIo = new Server(httpServer, {
      path: CHAT_PATH,
      serveClient: false, // the player bundles socket.io-client
      maxHttpBufferSize: this.deps.config.maxPacketBytes,
      connectTimeout: 10_000,
    });
    this.io = io;
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
    this.sweepTimer = setInterval(() => this.admission.sweep(), 10_000);
    this.log.info({ path: CHAT_PATH }, 'chat started');
    return this;
  }

  async stop(): Promise<void> {
    const io = this.io;
    if (!io) return;
    this.stopping = true;
    this.io = undefined;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.likes.stop(); // writes pending likes
    this.viewers.stop();
    this.detachFromHttp();
    // Not io.close(): that would also close the HTTP server, which belongs to the composition root.
    io.local.disconnectSockets(true);
    await Promise.allSettled([io.of('/').adapter.close()]);
    io.engine.close();
    io.removeAllListeners();
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
      moderatorTokens: this.deps.moderatorTokens,
      tokens: this.tokens,
      clock: this.clock,
      log: this.log,
      moderationContext: (): ModerationContext | undefined =>
        this.io && {
          io: this.io,
          moderation: this.moderation,
          messages: this.messages,
          clock: this.clock,
          logger: this.log,
          makeNotice: this.makeNotice,
        },
    });
  }
}
