/**
 * The chat protocol: the one events file shared by the server (chat/) and the
 * browser (player/). Types and a few constants only — no Node imports, no
 * runtime dependencies — so the player bundle can import it as is.
 *
 * Conventions:
 * - The server assigns every message its `id` and `ts` (ms since the epoch).
 * - A request that expects an answer (`send`, `rename`, `moderate`) takes an
 *   acknowledgement callback; failures come back in the ack as `{ ok: false, error }`.
 * - `notice` carries announcements for the room (slow mode, timeouts, bans) and
 *   things that happen to you (you were timed out); it is plain text, to be
 *   rendered as text, never as HTML. So is every message `text` and author `name`.
 * - A refused connection arrives as `connect_error` whose `data` is a {@link ChatError}.
 */

/** The colours a bullet comment may take. */
export const DANMAKU_COLORS = [
  '#ffffff', // white
  '#fe0302', // red
  '#ff7204', // orange
  '#ffd302', // yellow
  '#00cd00', // green
  '#00a2ff', // blue
  '#cc0273', // magenta
] as const;
export type DanmakuColor = (typeof DANMAKU_COLORS)[number];

/** scroll: right to left across the video; top / bottom: pinned, centred, for a few seconds. */
export const DANMAKU_MODES = ['scroll', 'top', 'bottom'] as const;
export type DanmakuMode = (typeof DANMAKU_MODES)[number];

export const MESSAGE_KINDS = ['chat', 'danmaku'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const CHAT_ROLES = ['viewer', 'moderator', 'streamer'] as const;
/** moderator and streamer messages carry a badge; both may moderate and are exempt from slow mode. */
export type ChatRole = (typeof CHAT_ROLES)[number];

/** Display names: 1–32 characters, no control characters. */
export const NAME_MAX_LENGTH = 32;
/**
 * The identity a browser keeps (localStorage) and passes on every connection:
 * 16–64 of A–Z a–z 0–9 _ -. Treat it as a secret; others see only the public
 * `author.id` derived from it.
 */
export const IDENTITY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** Socket.IO endpoint path on the liveroom HTTP server. */
export const CHAT_PATH = '/socket.io';

export interface ChatAuthor {
  /** Public, stable per browser identity; what moderators target. Not the secret identity. */
  id: string;
  name: string;
  role: ChatRole;
}

interface ChatMessageBase {
  /** Server-assigned, unique. */
  id: string;
  channel: string;
  /** Server time, ms since the epoch. */
  ts: number;
  text: string;
  author: ChatAuthor;
}

export type ChatMessage = ChatMessageBase &
  ({ kind: 'chat' } | { kind: 'danmaku'; mode: DanmakuMode; color: DanmakuColor });

/** What a client sends. `mode` and `color` apply to danmaku (defaults: scroll, white). */
export interface SendPayload {
  text: string;
  kind?: MessageKind;
  mode?: DanmakuMode;
  color?: DanmakuColor;
}

export const CHAT_ERROR_CODES = [
  /** Handshake: channel, identity, name or token missing or malformed. */
  'LR_CHAT_BAD_HANDSHAKE',
  'LR_CHAT_NO_CHANNEL',
  /** A token was given but is not a current moderator token or the admin token. */
  'LR_CHAT_BAD_TOKEN',
  'LR_CHAT_BANNED',
  /** Too many connections from this address in a short time. */
  'LR_CHAT_TOO_MANY_CONNECTIONS',
  /** Too many chat connections open at once from this address (chat.maxSocketsPerAddress). */
  'LR_CHAT_TOO_MANY_SOCKETS',
  'LR_CHAT_UNAVAILABLE',
  /** A payload that does not have the expected shape. */
  'LR_CHAT_INVALID',
  'LR_CHAT_EMPTY',
  'LR_CHAT_TOO_LONG',
  'LR_CHAT_RATE_LIMITED',
  'LR_CHAT_SLOW_MODE',
  'LR_CHAT_TIMED_OUT',
  'LR_CHAT_BLOCKED_WORD',
  /** Overlay connections (OBS browser source) only read. */
  'LR_CHAT_READ_ONLY',
  'LR_CHAT_FORBIDDEN',
  'LR_CHAT_NOT_FOUND',
  'LR_CHAT_INTERNAL',
] as const;
export type ChatErrorCode = (typeof CHAT_ERROR_CODES)[number];

export interface ChatError {
  code: ChatErrorCode;
  /** A sentence for the viewer that says what to do. */
  message: string;
  /** When waiting helps (rate limit, slow mode, timeout): how long, in ms. */
  retryAfterMs?: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ChatError };
export type SendAck = Ack<{ message: ChatMessage }>;
export type RenameAck = Ack<{ you: ChatAuthor }>;
export type ModerationAck = Ack<{ blockedWords?: string[] }>;

/** What a moderator or the streamer may do. Targets are public author ids. */
export type ModerationRequest =
  | { action: 'delete'; messageId: string }
  | { action: 'timeout'; userId: string; seconds: number; reason?: string }
  | { action: 'ban'; userId: string; reason?: string }
  /** Lifts a ban and any running timeout. */
  | { action: 'unban'; userId: string }
  /** 0 turns slow mode off. */
  | { action: 'slow-mode'; seconds: number }
  | { action: 'block-word'; word: string }
  | { action: 'unblock-word'; word: string }
  /** Answers with the channel's blocked words (configured ones included). */
  | { action: 'list-blocked-words' };
export type ModerationAction = ModerationRequest['action'];

export type NoticeCode =
  | 'slow-mode'
  | 'timeout'
  | 'ban'
  | 'unban'
  | 'message-deleted'
  | 'blocked-words'
  | 'rate-limited';

export interface SystemNotice {
  id: string;
  channel: string;
  ts: number;
  code: NoticeCode;
  level: 'info' | 'warning';
  /** Plain text for the chat panel. */
  text: string;
  /** The viewer the notice is about, when there is one. */
  target?: { id: string; name: string };
}

export interface RoomSettings {
  channel: string;
  /** 0 when slow mode is off. Applies to viewers only. */
  slowModeSeconds: number;
}

export interface LikeCount {
  channel: string;
  /** All likes this channel has received. */
  total: number;
  /** Likes since the previous count: how many hearts to float. */
  delta: number;
}

export interface ViewerCount {
  channel: string;
  /** Chat viewers (distinct browsers) plus players watching without chat. */
  count: number;
}

export interface MessageDeleted {
  channel: string;
  id: string;
}

/** Sent once per connection, before anything else. */
export interface Welcome {
  channel: string;
  you: ChatAuthor;
  /** The most recent messages, oldest first. */
  history: ChatMessage[];
  settings: RoomSettings;
  likes: number;
  viewers: number;
  limits: { maxMessageLength: number; maxDanmakuLength: number };
  readOnly: boolean;
}

/** `io(url, { path: CHAT_PATH, auth })` */
export interface HandshakeAuth {
  channel: string;
  identity: string;
  name: string;
  /** A moderator token for this channel, or the admin token (streamer). */
  token?: string;
  /** A read-only connection (OBS chat overlay): not counted as a viewer, cannot send. */
  overlay?: boolean;
  /**
   * Receive the room's messages in batches (`messages`, at most one every
   * chat.messageBatchMs, ~100 ms) instead of one `message` event each: far fewer
   * packets in a busy room. Batches include your own messages (same id as in the ack).
   */
  batch?: boolean;
}

export interface ClientToServerEvents {
  send: (payload: SendPayload, ack: (res: SendAck) => void) => void;
  /** Taps since the last like event (1–20); batch taps for ~200 ms on the client. */
  like: (taps: number) => void;
  rename: (name: string, ack: (res: RenameAck) => void) => void;
  moderate: (req: ModerationRequest, ack: (res: ModerationAck) => void) => void;
}

export interface ServerToClientEvents {
  welcome: (w: Welcome) => void;
  /** Messages from others; your own comes back in the `send` ack. Not sent to `batch` connections. */
  message: (m: ChatMessage) => void;
  /** `batch` connections only: the room's new messages, oldest first, yours included. */
  messages: (batch: ChatMessage[]) => void;
  'message:deleted': (d: MessageDeleted) => void;
  notice: (n: SystemNotice) => void;
  settings: (s: RoomSettings) => void;
  /** A few times per second at most, only when there were new likes. */
  likes: (l: LikeCount) => void;
  /** Every few seconds when the count changed. */
  viewers: (v: ViewerCount) => void;
}

/**
 * Between server nodes (several nodes behind Redis, io.serverSideEmit). Room
 * broadcasts, deletions and disconnects need none: the adapter carries them.
 */
export interface InterServerEvents {
  /** Every viewer-count interval: the sender's local viewers per channel (channels left out count 0); ttlMs 0 = it is leaving. */
  'viewers:report': (report: { node: string; counts: Record<string, number>; ttlMs: number }) => void;
  /** A moderation action changed the channel's state (sanctions, slow mode, blocked words): drop what is cached of it. */
  'moderation:changed': (change: { channel: string }) => void;
  /** A message was deleted: if it waits in this node's batches, it is not sent. */
  'message:withdrawn': (withdrawn: { channel: string; id: string }) => void;
}

/** Per-connection state, visible across nodes through the adapter: no secrets in here. */
export interface SocketData {
  channel: string;
  /** Public author id (hash of the identity). */
  userId: string;
  name: string;
  role: ChatRole;
  address: string;
  overlay: boolean;
  /** Gets `messages` batches rather than `message` events. */
  batch: boolean;
  /** The id (not the secret) of the moderator or streamer token this connection joined with: revoking it drops the connection. */
  tokenId?: string;
}
