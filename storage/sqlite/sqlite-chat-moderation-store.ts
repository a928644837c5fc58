import type {
  ChatModerationStore,
  KnownUserRecord,
  ModerationLogRecord,
  NewModerationLogRecord,
  PurgedModerationRows,
  SanctionRecord,
} from '../chat-moderation-store';
import type { Db } from './sqlite-database';

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
  detail: string;
}

/**
 * Moderation state in SQLite. Checks are indexed reads on each call (no
 * cache), so an action taken by one process on the same database applies in
 * all of them; an action and its log entry are written in one transaction.
 */
export class SqliteChatModerationStore implements ChatModerationStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      slowMode: db.prepare('SELECT slow_mode_seconds AS s FROM chat_channel_settings WHERE channel = ?'),
      setSlowMode: db.prepare(
        `INSERT INTO chat_channel_settings (channel, slow_mode_seconds) VALUES (?, ?)
         ON CONFLICT(channel) DO UPDATE SET slow_mode_seconds = excluded.slow_mode_seconds`,
      ),
      timeoutUntil: db.prepare(
        `SELECT MAX(until) AS until FROM chat_sanctions
         WHERE channel = ? AND user_id = ? AND kind = 'timeout' AND lifted_at IS NULL AND until > ?`,
      ),
      runningTimeouts: db.prepare(
        `SELECT user_id AS userId, MAX(until) AS until FROM chat_sanctions
         WHERE channel = ? AND kind = 'timeout' AND lifted_at IS NULL AND until > ? GROUP BY user_id`,
      ),
      banned: db.prepare(
        `SELECT 1 FROM chat_sanctions
         WHERE channel = @channel AND kind = 'ban' AND lifted_at IS NULL AND (user_id = @userId OR address = @address) LIMIT 1`,
      ),
      sanction: db.prepare(
        `INSERT INTO chat_sanctions (channel, kind, user_id, address, reason, until, created_at, created_by)
         VALUES (@channel, @kind, @userId, @address, @reason, @until, @createdAt, @createdBy)`,
      ),
      lift: db.prepare(
        `UPDATE chat_sanctions SET lifted_at = @now, lifted_by = @by
         WHERE channel = @channel AND user_id = @userId AND lifted_at IS NULL AND (kind = 'ban' OR until > @now)`,
      ),
      log: db.prepare(
        `INSERT INTO chat_moderation_log (channel, ts, action, actor_id, actor_name, actor_role, target_user_id, target_message_id, detail)
         VALUES (@channel, @ts, @action, @actorId, @actorName, @actorRole, @targetUserId, @targetMessageId, @detail)`,
      ),
      readLog: db.prepare('SELECT * FROM chat_moderation_log WHERE channel = ? ORDER BY id DESC LIMIT ?'),
      words: db.prepare('SELECT word FROM chat_blocked_words WHERE channel = ? ORDER BY word'),
      addWord: db.prepare('INSERT OR IGNORE INTO chat_blocked_words (channel, word, created_at) VALUES (?, ?, ?)'),
      removeWord: db.prepare('DELETE FROM chat_blocked_words WHERE channel = ? AND word = ?'),
      touchUser: db.prepare(
        `INSERT INTO chat_users (id, name, address, first_seen, last_seen) VALUES (@id, @name, @address, @now, @now)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, address = excluded.address, last_seen = excluded.last_seen`,
      ),
      user: db.prepare('SELECT id, name, address FROM chat_users WHERE id = ?'),
      purgeLog: db.prepare('DELETE FROM chat_moderation_log WHERE ts < ?'),
      purgeUsers: db.prepare('DELETE FROM chat_users WHERE last_seen < ?'),
      purgeSanctions: db.prepare(
        `DELETE FROM chat_sanctions WHERE lifted_at < @ts OR (lifted_at IS NULL AND kind = 'timeout' AND until < @ts)`,
      ),
    };
  }

  async touchUser(user: KnownUserRecord, now: number): Promise<void> {
    this.q.touchUser.run({ id: user.id, name: user.name, address: user.address, now });
  }

  async user(id: string): Promise<KnownUserRecord | undefined> {
    return this.q.user.get(id) as KnownUserRecord | undefined;
  }

  async slowModeSeconds(channel: string): Promise<number | undefined> {
    return (this.q.slowMode.get(channel) as { s: number } | undefined)?.s;
  }

  async setSlowMode(channel: string, seconds: number, log: NewModerationLogRecord): Promise<void> {
    this.db.transaction(() => {
      this.q.setSlowMode.run(channel, seconds);
      this.insertLog(log);
    })();
  }

  async timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined> {
    return (this.q.timeoutUntil.get(channel, userId, now) as { until: number | null }).until ?? undefined;
  }

  async runningTimeouts(channel: string, now: number): Promise<Map<string, number>> {
    const rows = this.q.runningTimeouts.all(channel, now) as { userId: string; until: number }[];
    return new Map(rows.map((r) => [r.userId, r.until]));
  }

  async isBanned(channel: string, userId: string, address: string): Promise<boolean> {
    return this.q.banned.get({ channel, userId, address }) !== undefined;
  }

  async addSanction(s: SanctionRecord, log: NewModerationLogRecord): Promise<void> {
    this.db.transaction(() => {
      this.q.sanction.run({ ...s });
      this.insertLog(log);
    })();
  }

  async liftSanctions(channel: string, userId: string, now: number, by: string, log: NewModerationLogRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const lifted = this.q.lift.run({ channel, userId, now, by }).changes > 0;
      if (lifted) this.insertLog(log);
      return lifted;
    })();
  }

  async blockedWords(channel: string): Promise<string[]> {
    return (this.q.words.all(channel) as { word: string }[]).map((r) => r.word);
  }

  async addBlockedWord(channel: string, word: string, now: number, log: NewModerationLogRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const added = this.q.addWord.run(channel, word, now).changes > 0;
      if (added) this.insertLog(log);
      return added;
    })();
  }

  async removeBlockedWord(channel: string, word: string, log: NewModerationLogRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const removed = this.q.removeWord.run(channel, word).changes > 0;
      if (removed) this.insertLog(log);
      return removed;
    })();
  }

  async appendLog(e: NewModerationLogRecord): Promise<void> {
    this.insertLog(e);
  }

  /** Synchronous, so that it runs inside the transactions above (a throw there rolls them back). */
  private insertLog(e: NewModerationLogRecord): void {
    this.q.log.run({
      channel: e.channel,
      ts: e.ts,
      action: e.action,
      actorId: e.actorId,
      actorName: e.actorName,
      actorRole: e.actorRole,
      targetUserId: e.targetUserId,
      targetMessageId: e.targetMessageId,
      detail: JSON.stringify(e.detail),
    });
  }

  async purgeBefore(ts: number): Promise<PurgedModerationRows> {
    return this.db.transaction(() => ({
      log: this.q.purgeLog.run(ts).changes,
      users: this.q.purgeUsers.run(ts).changes,
      sanctions: this.q.purgeSanctions.run({ ts }).changes,
    }))();
  }

  async logEntries(channel: string, limit: number): Promise<ModerationLogRecord[]> {
    return (this.q.readLog.all(channel, limit) as LogRow[]).map((r) => ({
      id: r.id,
      channel: r.channel,
      ts: r.ts,
      action: r.action,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorRole: r.actor_role,
      targetUserId: r.target_user_id,
      targetMessageId: r.target_message_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
