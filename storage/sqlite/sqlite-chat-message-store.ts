import type { ChatMessageStore, StoredMessage } from '../chat-message-store';
import type { Db } from './sqlite-database';

interface MessageRow {
  id: string;
  channel: string;
  ts: number;
  kind: 'chat' | 'danmaku';
  text: string;
  mode: string | null;
  color: string | null;
  author_id: string;
  author_name: string;
  author_role: string;
}

const toStored = (r: MessageRow): StoredMessage => ({
  id: r.id,
  channel: r.channel,
  ts: r.ts,
  kind: r.kind,
  text: r.text,
  mode: r.mode,
  color: r.color,
  authorId: r.author_id,
  authorName: r.author_name,
  authorRole: r.author_role,
});

/**
 * Chat messages in SQLite. `insert` is a synchronous write on the one
 * connection, so it has returned (the row is in the WAL) before the chat acks.
 */
export class SqliteChatMessageStore implements ChatMessageStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO chat_messages (id, channel, ts, kind, text, mode, color, author_id, author_name, author_role)
         VALUES (@id, @channel, @ts, @kind, @text, @mode, @color, @author_id, @author_name, @author_role)`,
      ),
      recent: db.prepare('SELECT * FROM (SELECT * FROM chat_messages WHERE channel = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
      get: db.prepare('SELECT * FROM chat_messages WHERE id = ?'),
      remove: db.prepare('DELETE FROM chat_messages WHERE id = ?'),
      lastTs: db.prepare('SELECT MAX(ts) AS ts FROM chat_messages WHERE channel = ? AND author_id = ?'),
      purge: db.prepare('DELETE FROM chat_messages WHERE ts < ?'),
      between: db.prepare('SELECT * FROM chat_messages WHERE channel = ? AND ts >= ? AND ts <= ? ORDER BY ts, seq LIMIT ?'),
      countBetween: db.prepare('SELECT COUNT(*) FROM chat_messages WHERE channel = ? AND ts >= ? AND ts <= ?').pluck(),
    };
  }

  async insert(m: StoredMessage): Promise<void> {
    const row: MessageRow = {
      id: m.id,
      channel: m.channel,
      ts: m.ts,
      kind: m.kind,
      text: m.text,
      mode: m.mode,
      color: m.color,
      author_id: m.authorId,
      author_name: m.authorName,
      author_role: m.authorRole,
    };
    this.q.insert.run(row);
  }

  async recent(channel: string, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    return (this.q.recent.all(channel, limit) as MessageRow[]).map(toStored);
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = this.q.get.get(id) as MessageRow | undefined;
    return row && toStored(row);
  }

  async remove(id: string): Promise<boolean> {
    return this.q.remove.run(id).changes > 0;
  }

  async between(channel: string, from: number, to: number, limit: number): Promise<StoredMessage[]> {
    return (this.q.between.all(channel, from, to, limit) as MessageRow[]).map(toStored);
  }

  async countBetween(channel: string, from: number, to: number): Promise<number> {
    return this.q.countBetween.get(channel, from, to) as number;
  }

  async purgeBefore(ts: number): Promise<number> {
    return this.q.purge.run(ts).changes;
  }

  async lastMessageTs(channel: string, authorId: string): Promise<number | undefined> {
    const row = this.q.lastTs.get(channel, authorId) as { ts: number | null };
    return row.ts ?? undefined;
  }
}
