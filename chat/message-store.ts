import crypto from 'node:crypto';
import type { ChatMessageStore, StoredMessage } from '../storage/chat-message-store';
import type { ChatAuthor, ChatMessage, DanmakuColor, DanmakuMode, MessageKind } from './chat-events';

export interface NewMessage {
  channel: string;
  ts: number;
  text: string;
  author: ChatAuthor;
  kind: MessageKind;
  mode?: DanmakuMode;
  color?: DanmakuColor;
}

function toMessage(r: StoredMessage): ChatMessage {
  const base = {
    id: r.id,
    channel: r.channel,
    ts: r.ts,
    text: r.text,
    author: { id: r.authorId, name: r.authorName, role: r.authorRole as ChatAuthor['role'] },
  };
  return r.kind === 'danmaku'
    ? { ...base, kind: 'danmaku', mode: (r.mode ?? 'scroll') as DanmakuMode, color: (r.color ?? '#ffffff') as DanmakuColor }
    : { ...base, kind: 'chat' };
}

/** A message id: 12 URL-safe characters, 72 random bits. */
export function newMessageId(): string {
  return crypto.randomBytes(9).toString('base64url');
}

/**
 * Chat messages, on a ChatMessageStore. `insert` returns only after the store
 * has written the message, so a message is durable before it is acknowledged
 * or broadcast. Deleting removes it: a deleted message is gone from history
 * for everyone.
 */
export class MessageStore {
  constructor(private readonly store: ChatMessageStore) {}

  async insert(m: NewMessage): Promise<ChatMessage> {
    const stored: StoredMessage = {
      id: newMessageId(),
      channel: m.channel,
      ts: m.ts,
      kind: m.kind,
      text: m.text,
      mode: m.kind === 'danmaku' ? (m.mode ?? 'scroll') : null,
      color: m.kind === 'danmaku' ? (m.color ?? '#ffffff') : null,
      authorId: m.author.id,
      authorName: m.author.name,
      authorRole: m.author.role,
    };
    await this.store.insert(stored);
    return toMessage(stored);
  }

  /** The last `limit` messages of a channel, oldest first. */
  async recent(channel: string, limit: number): Promise<ChatMessage[]> {
    return (await this.store.recent(channel, limit)).map(toMessage);
  }

  /** A channel's messages from `from` to `to` (ms, inclusive), oldest first, at most `limit`: a replay's chat. */
  async between(channel: string, from: number, to: number, limit: number): Promise<ChatMessage[]> {
    return (await this.store.between(channel, from, to, limit)).map(toMessage);
  }

  async get(id: string): Promise<ChatMessage | undefined> {
    const stored = await this.store.get(id);
    return stored && toMessage(stored);
  }

  /** True when there was such a message. */
  remove(id: string): Promise<boolean> {
    return this.store.remove(id);
  }

  /** When this author last wrote in this channel (slow mode), or undefined. */
  lastMessageTs(channel: string, authorId: string): Promise<number | undefined> {
    return this.store.lastMessageTs(channel, authorId);
  }
}
