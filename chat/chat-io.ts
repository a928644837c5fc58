import crypto from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import type {
  ChatError,
  ChatErrorCode,
  ClientToServerEvents,
  InterServerEvents,
  NoticeCode,
  ServerToClientEvents,
  SocketData,
  SystemNotice,
} from './chat-events';

/** The typed Socket.IO server and socket of the chat. */
export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The Socket.IO room of a channel. */
export const roomOf = (channel: string) => `channel:${channel}`;
/**
 * Each connection is also in one of these, by how it gets messages: one
 * `message` each, or `messages` batches. (Separate rooms rather than
 * `except(batchRoom)`: socket.io would build the set of a whole room for every message.)
 */
export const singleRoomOf = (channel: string) => `channel-single:${channel}`;
export const batchRoomOf = (channel: string) => `channel-batch:${channel}`;
/** One of the groups a channel's batch connections are split into (message-batcher.ts), flushed in turn. */
export const batchShardRoomOf = (channel: string, shard: number) => `channel-batch:${channel}#${shard}`;

/** The group a connection's batches come with: from its id (random), so the groups come out about even. */
export function batchShardOf(socketId: string, shards: number): number {
  let h = 0;
  for (let i = 0; i < socketId.length; i++) h = (h * 31 + socketId.charCodeAt(i)) | 0;
  return (h >>> 0) % shards;
}

/** The public author id of a browser identity: a digest, so the identity itself (the secret) never leaves the server. */
export function userIdFor(identity: string): string {
  return crypto.createHash('sha256').update(`liveroom-chat:${identity}`).digest('hex').slice(0, 24);
}

export function chatError(code: ChatErrorCode, message: string, retryAfterMs?: number): ChatError {
  return retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs };
}

/** A refusal for io.use: the client's connect_error gets `err.message` and `err.data` ({ code, message }). */
export function connectError(code: ChatErrorCode, message: string): Error & { data: ChatError } {
  return Object.assign(new Error(message), { data: chatError(code, message) });
}

/** Whole seconds to wait, at least 1, for messages. */
export const waitSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export interface NoticeOptions {
  level?: SystemNotice['level'];
  target?: SystemNotice['target'];
}

export type MakeNotice = (channel: string, code: NoticeCode, text: string, opts?: NoticeOptions) => SystemNotice;

export function noticeMaker(clock: () => number): MakeNotice {
  return (channel, code, text, opts = {}) => {
    const notice: SystemNotice = { id: crypto.randomBytes(6).toString('base64url'), channel, ts: clock(), code, level: opts.level ?? 'info', text };
    if (opts.target) notice.target = opts.target;
    return notice;
  };
}
