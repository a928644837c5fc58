/** A chat message as stored: flat, backend-neutral; chat/message-store.ts maps it to the protocol's ChatMessage. */
export interface StoredMessage {
  id: string;
  channel: string;
  ts: number;
  kind: 'chat' | 'danmaku';
  text: string;
  /** Danmaku only (null for chat). */
  mode: string | null;
  color: string | null;
  authorId: string;
  authorName: string;
  authorRole: string;
}

/** Chat messages. The embedded implementation is storage/sqlite/sqlite-chat-message-store.ts. */
export interface ChatMessageStore {
  /** Returns only once the message is durable: the chat acknowledges and broadcasts it right after. */
  insert(message: StoredMessage): Promise<void>;
  /** The last `limit` messages of a channel, oldest first. */
  recent(channel: string, limit: number): Promise<StoredMessage[]>;
  get(id: string): Promise<StoredMessage | undefined>;
  /** True when there was such a message. */
  remove(id: string): Promise<boolean>;
  /** When this author last wrote in this channel, or undefined. */
  lastMessageTs(channel: string, authorId: string): Promise<number | undefined>;
  /** A channel's messages sent from `from` to `to` (ms, inclusive), oldest first, at most `limit` (a replay's chat). */
  between(channel: string, from: number, to: number, limit: number): Promise<StoredMessage[]>;
  /** How many messages a channel has from `from` to `to` (ms, inclusive). */
  countBetween(channel: string, from: number, to: number): Promise<number>;
  /** Deletes every message written before `ts` (ms since the epoch), in every channel; returns how many. */
  purgeBefore(ts: number): Promise<number>;
}
