/**
 * Test kit for chat/*.test.ts: a real HTTP server on 127.0.0.1:0 with a
 * ChatServer started on it, a fresh SQLite database, and real socket.io-client
 * connections. Not used by the running server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { io as ioClient, type Socket as ClientSocket, type SocketOptions, type ManagerOptions } from 'socket.io-client';
import { chatSchema } from '../core/config-schema';
import type { Db } from '../storage/sqlite/sqlite-database';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';
import type { ChatError, ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Welcome } from './chat-events';
import { ChatServer, type ChatServerDeps } from './chat-server';
import { ClientAddressResolver } from '../core/client-address';
import { ModeratorTokens } from './moderator-tokens';

export type TestClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;
export type ChatConfigInput = Parameters<typeof chatSchema.parse>[0] & Record<string, unknown>;

export const newIdentity = () => crypto.randomBytes(16).toString('base64url');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the next `event` payload matching `accept`; rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: TestClient,
  event: E,
  accept: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 3000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const listener = ((payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(payload);
    }) as ServerToClientEvents[E];
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no '${String(event)}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, listener as never);
  });
}

/** Collects every `event` payload from now on. */
export function collect<E extends keyof ServerToClientEvents>(socket: TestClient, event: E): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  socket.on(event, ((p: Parameters<ServerToClientEvents[E]>[0]) => seen.push(p)) as never);
  return seen;
}

/** Emits with an acknowledgement and resolves with the ack (rejects when none comes within 3 s). */
export function request<E extends 'send' | 'rename' | 'moderate'>(
  socket: TestClient,
  event: E,
  payload: unknown,
): Promise<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0]> {
  return (socket.timeout(3000) as unknown as { emitWithAck(e: string, p: unknown): Promise<never> }).emitWithAck(event, payload);
}

/** Connects a client made with autoConnect off; resolves with its welcome, rejects with the reason it was refused. */
export async function welcomed(socket: TestClient): Promise<{ socket: TestClient; welcome: Welcome }> {
  const welcome = new Promise<Welcome>((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', (err) => reject(new Error(`refused: ${err.message}`)));
  });
  socket.connect();
  return { socket, welcome: await welcome };
}

export interface ChatKit {
  url: string;
  server: http.Server;
  chat: ChatServer;
  /** The SQLite database under the stores, for tests that look at rows. */
  db: Db;
  stores: SqliteStores;
  tokens: ModeratorTokens;
  /** A streamer token for channel 'live'. */
  streamerToken: string;
  /** The server's clock; `advance` moves it (rate limits, slow mode, timeouts). */
  clock: { now: number; advance(ms: number): void };
  /** A connected client that has received its welcome. */
  join(auth?: Partial<HandshakeAuth>, opts?: Partial<ManagerOptions & SocketOptions>): Promise<{ socket: TestClient; welcome: Welcome }>;
  /** The connect_error data of a refused connection. */
  refused(auth: unknown, opts?: Partial<ManagerOptions & SocketOptions>): Promise<ChatError>;
  /** A client that is not connected yet (autoConnect off). */
  client(auth: unknown, opts?: Partial<ManagerOptions & SocketOptions>): TestClient;
  close(): Promise<void>;
}

export interface KitOptions {
  /** As 'http.trustedProxies': X-Forwarded-For is believed from these. */
  trustedProxies?: string[];
  allowOrigin?: ChatServerDeps['allowOrigin'];
  /** As on PostgreSQL: moderation state cached per channel this long (ChatServerDeps.moderationCacheMs). */
  moderationCacheMs?: number;
}

export async function startChat(config: ChatConfigInput = {}, opts: KitOptions = {}): Promise<ChatKit> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-chat-'));
  const stores = SqliteStores.open(dir);
  const db = stores.db;
  const channels = new Set(['live', 'other']);
  const tokens = new ModeratorTokens(stores.moderatorTokens);
  const streamerToken = (await tokens.create('live', 'Host', 'streamer')).token;
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not chat');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const addresses = new ClientAddressResolver(opts.trustedProxies ?? []);
  const chat = new ChatServer({
    config: chatSchema.parse(config),
    stores,
    log: pino({ level: 'silent' }),
    channelExists: async (c) => channels.has(c),
    moderatorTokens: tokens,
    clock: () => clock.now,
    clientAddress: (peer, xff) => addresses.resolve(peer, xff),
    allowOrigin: opts.allowOrigin,
    moderationCacheMs: opts.moderationCacheMs,
  });
  await chat.start(server);
  const clients: TestClient[] = [];

  const client = (auth: unknown, opts: Partial<ManagerOptions & SocketOptions> = {}): TestClient => {
    const socket: TestClient = ioClient(url, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      auth: auth as Record<string, unknown>,
      ...opts,
    });
    clients.push(socket);
    return socket;
  };

  const kit: ChatKit = {
    url,
    server,
    chat,
    db,
    stores,
    tokens,
    streamerToken,
    clock,
    client,
    join(auth = {}, opts = {}) {
      return welcomed(client({ channel: 'live', identity: newIdentity(), name: 'viewer', ...auth }, opts));
    },
    async refused(auth, opts = {}) {
      const socket = client(auth, opts);
      const result = new Promise<ChatError>((resolve, reject) => {
        socket.once('connect_error', (err) => resolve((err as Error & { data: ChatError }).data));
        socket.once('welcome', () => reject(new Error('connection was accepted')));
      });
      socket.connect();
      return result;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await chat.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stores.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return kit;
}
