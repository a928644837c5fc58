import crypto from 'node:crypto';
import type { Db } from '../storage/database';
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

interface MessageRow {
  id: string;
  channel: string;
  ts: number;
  kind: MessageKind;
  text: string;
  mode: DanmakuMode | null;
  color: DanmakuColor | null;
  author_id: string;
  author_name: string;
  author_role: ChatAuthor['role'];
}

function toMessage(r: MessageRow): ChatMessage {
  const base = {
    id: r.id,
    channel: r.channel,
    ts: r.ts,
    text: r.text,
    author: { id: r.author_id, name: r.author_name, role: r.author_role },
  };
  return r.kind === 'danmaku'
    ? { ...base, kind: 'danmaku', mode: r.mode ?? 'scroll', color: r.color ?? '#ffffff' }
    : { ...base, kind: 'chat' };
}

/** A message id: 12 URL-safe characters, 72 random bits. */
export function newMessageId(): string {
  return crypto.randomBytes(9).toString('base64url');
}

/**
 * Chat messages in SQLite. `insert` returns only after the row is written, so a
 * message is durable before it is acknowledged or broadcast. Deleting removes
 * the row: a deleted message is gone from history for everyone.
 */
export class MessageStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO chat_messages (id, channel, ts, kind, text, mode, color, author_id, author_name, author_role)
         VALUES (@id, @channel, @ts, @kind, @text, @mode, @color, @author_id, @author_name, @author_role)`,
      ),
      recent: db.prepare('SELECT * FROM (SELECT * FROM chat_messages WHERE channel = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
      get: db.prepare('SELECT * FROM chat_messages WHERE id = ?'),
      exists: db.prepare('SELECT 1 FROM chat_messages WHERE id = ?').pluck(),
      remove: db.prepare('DELETE FROM chat_messages WHERE id = ?'),
      lastTs: db.prepare('SELECT MAX(ts) AS ts FROM chat_messages WHERE channel = ? AND author_id = ?'),
    };
  }

  insert(m: NewMessage): ChatMessage {
    const row: MessageRow = {
      id: newMessageId(),
      channel: m.channel,
      ts: m.ts,
      kind: m.kind,
      text: m.text,
      mode: m.kind === 'danmaku' ? (m.mode ?? 'scroll') : null,
      color: m.kind === 'danmaku' ? (m.color ?? '#ffffff') : null,
      author_id: m.author.id,
      author_name: m.author.name,
      author_role: m.author.role,
    };
    this.stmts.insert.run(row);
    return toMessage(row);
  }

  /** The last `limit` messages of a channel, oldest first. */
  recent(channel: string, limit: number): ChatMessage[] {
    if (limit <= 0) return [];
    return (this.stmts.recent.all(channel, limit) as MessageRow[]).map(toMessage);
  }

  get(id: string): ChatMessage | undefined {
    const row = this.stmts.get.get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /** Whether the message is there (not deleted). */
  exists(id: string): boolean {
    return this.stmts.exists.get(id) !== undefined;
  }

  /** True when there was such a message. */
  remove(id: string): boolean {
    return this.stmts.remove.run(id).changes > 0;
  }

  /** When this author last wrote in this channel (slow mode), or undefined. */
  lastMessageTs(channel: string, authorId: string): number | undefined {
    const row = this.stmts.lastTs.get(channel, authorId) as { ts: number | null };
    return row.ts ?? undefined;
  }
}
