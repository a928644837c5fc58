import type {
  ChatModerationStore,
  KnownUserRecord,
  ModerationLogRecord,
  NewModerationLogRecord,
  PurgedModerationRows,
  SanctionRecord,
} from '../chat-moderation-store';
import { inTransaction, type PgPool, type PgQueryable } from './postgres-database';

interface LogRow {
  id: number;
  channel: string;
  ts: number;
  action: string;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  target_user_id: string | null;
  target_message_id: string | null;
  detail: Record<string, unknown>;
}

async function insertLog(db: PgQueryable, e: NewModerationLogRecord): Promise<void> {
  await db.query(
    `INSERT INTO chat_moderation_log (channel, ts, action, actor_id, actor_name, actor_role, target_user_id, target_message_id, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.channel, e.ts, e.action, e.actorId, e.actorName, e.actorRole, e.targetUserId, e.targetMessageId, JSON.stringify(e.detail)],
  );
}

const count = (r: { rowCount: number | null }) => r.rowCount ?? 0;

/**
 * Moderation state in PostgreSQL, shared by every node on the database: checks read it each time (no cache), and
 * an action and its log entry commit in one transaction.
 */
export class PostgresChatModerationStore implements ChatModerationStore {
  constructor(private readonly pool: PgPool) {}

  async touchUser(user: KnownUserRecord, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO chat_users (id, name, address, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, last_seen = EXCLUDED.last_seen`,
      [user.id, user.name, user.address, now],
    );
  }

  async user(id: string): Promise<KnownUserRecord | undefined> {
    return (await this.pool.query<KnownUserRecord>('SELECT id, name, address FROM chat_users WHERE id = $1', [id])).rows[0];
  }

  async slowModeSeconds(channel: string): Promise<number | undefined> {
    return (await this.pool.query<{ s: number }>('SELECT slow_mode_seconds AS s FROM chat_channel_settings WHERE channel = $1', [channel])).rows[0]?.s;
  }

  async setSlowMode(channel: string, seconds: number, log: NewModerationLogRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO chat_channel_settings (channel, slow_mode_seconds) VALUES ($1, $2)
         ON CONFLICT (channel) DO UPDATE SET slow_mode_seconds = EXCLUDED.slow_mode_seconds`,
        [channel, seconds],
      );
      await insertLog(tx, log);
    });
  }

  async timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ until: number | null }>(
      `SELECT MAX(until) AS until FROM chat_sanctions
       WHERE channel = $1 AND user_id = $2 AND kind = 'timeout' AND lifted_at IS NULL AND until > $3`,
      [channel, userId, now],
    );
    return rows[0]?.until ?? undefined;
  }

  async runningTimeouts(channel: string, now: number): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ user_id: string; until: number }>(
      `SELECT user_id, MAX(until) AS until FROM chat_sanctions
       WHERE channel = $1 AND kind = 'timeout' AND lifted_at IS NULL AND until > $2 GROUP BY user_id`,
      [channel, now],
    );
    return new Map(rows.map((r) => [r.user_id, r.until]));
  }

  async isBanned(channel: string, userId: string, address: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM chat_sanctions
       WHERE channel = $1 AND kind = 'ban' AND lifted_at IS NULL AND (user_id = $2 OR address = $3) LIMIT 1`,
      [channel, userId, address],
    );
    return rows.length > 0;
  }

  async addSanction(s: SanctionRecord, log: NewModerationLogRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO chat_sanctions (channel, kind, user_id, address, reason, until, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [s.channel, s.kind, s.userId, s.address, s.reason, s.until, s.createdAt, s.createdBy],
      );
      await insertLog(tx, log);
    });
  }

  async liftSanctions(channel: string, userId: string, now: number, by: string, log: NewModerationLogRecord): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const lifted =
        count(
          await tx.query(
            `UPDATE chat_sanctions SET lifted_at = $3, lifted_by = $4
             WHERE channel = $1 AND user_id = $2 AND lifted_at IS NULL AND (kind = 'ban' OR until > $3)`,
            [channel, userId, now, by],
          ),
        ) > 0;
      if (lifted) await insertLog(tx, log);
      return lifted;
    });
  }

  async blockedWords(channel: string): Promise<string[]> {
    // COLLATE "C": the same byte order as SQLite's, whatever the database's locale.
    const { rows } = await this.pool.query<{ word: string }>('SELECT word FROM chat_blocked_words WHERE channel = $1 ORDER BY word COLLATE "C"', [channel]);
    return rows.map((r) => r.word);
  }

  async addBlockedWord(channel: string, word: string, now: number, log: NewModerationLogRecord): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const added = count(await tx.query('INSERT INTO chat_blocked_words (channel, word, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [channel, word, now])) > 0;
      if (added) await insertLog(tx, log);
      return added;
    });
  }

  async removeBlockedWord(channel: string, word: string, log: NewModerationLogRecord): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const removed = count(await tx.query('DELETE FROM chat_blocked_words WHERE channel = $1 AND word = $2', [channel, word])) > 0;
      if (removed) await insertLog(tx, log);
      return removed;
    });
  }

  async appendLog(entry: NewModerationLogRecord): Promise<void> {
    await insertLog(this.pool, entry);
  }

  async logEntries(channel: string, limit: number): Promise<ModerationLogRecord[]> {
    const { rows } = await this.pool.query<LogRow>('SELECT * FROM chat_moderation_log WHERE channel = $1 ORDER BY id DESC LIMIT $2', [channel, limit]);
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      ts: r.ts,
      action: r.action,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorRole: r.actor_role,
      targetUserId: r.target_user_id,
      targetMessageId: r.target_message_id,
      detail: r.detail,
    }));
  }

  async purgeBefore(ts: number): Promise<PurgedModerationRows> {
    return inTransaction(this.pool, async (tx) => ({
      log: count(await tx.query('DELETE FROM chat_moderation_log WHERE ts < $1', [ts])),
      users: count(await tx.query('DELETE FROM chat_users WHERE last_seen < $1', [ts])),
      sanctions: count(await tx.query(`DELETE FROM chat_sanctions WHERE lifted_at < $1 OR (lifted_at IS NULL AND kind = 'timeout' AND until < $1)`, [ts])),
    }));
  }
}
