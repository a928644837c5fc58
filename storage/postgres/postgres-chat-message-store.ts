import type { ChatMessageStore, StoredMessage } from '../chat-message-store';
import type { PgPool } from './postgres-database';

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
 * Chat messages in PostgreSQL. `insert` resolves once the INSERT has committed (autocommit, with the server's
 * synchronous_commit): the chat acknowledges and broadcasts only after that.
 */
export class PostgresChatMessageStore implements ChatMessageStore {
  constructor(private readonly pool: PgPool) {}

  async insert(m: StoredMessage): Promise<void> {
    await this.pool.query(
      `INSERT INTO chat_messages (id, channel, ts, kind, text, mode, color, author_id, author_name, author_role)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [m.id, m.channel, m.ts, m.kind, m.text, m.mode, m.color, m.authorId, m.authorName, m.authorRole],
    );
  }

  async recent(channel: string, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<MessageRow>(
      'SELECT * FROM (SELECT * FROM chat_messages WHERE channel = $1 ORDER BY seq DESC LIMIT $2) m ORDER BY seq',
      [channel, limit],
    );
    return rows.map(toStored);
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = (await this.pool.query<MessageRow>('SELECT * FROM chat_messages WHERE id = $1', [id])).rows[0];
    return row && toStored(row);
  }

  async remove(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM chat_messages WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async lastMessageTs(channel: string, authorId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ ts: number | null }>('SELECT MAX(ts) AS ts FROM chat_messages WHERE channel = $1 AND author_id = $2', [channel, authorId]);
    return rows[0]?.ts ?? undefined;
  }

  async between(channel: string, from: number, to: number, limit: number): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      'SELECT * FROM chat_messages WHERE channel = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts, seq LIMIT $4',
      [channel, from, to, limit],
    );
    return rows.map(toStored);
  }

  async countBetween(channel: string, from: number, to: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages WHERE channel = $1 AND ts >= $2 AND ts <= $3', [channel, from, to]);
    return rows[0].n;
  }

  async purgeBefore(ts: number): Promise<number> {
    return (await this.pool.query('DELETE FROM chat_messages WHERE ts < $1', [ts])).rowCount ?? 0;
  }
}
