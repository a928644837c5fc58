import type { Db } from '../storage/database';
import type { ChatConfig } from '../core/config-schema';
import { BlockedWordsCache } from './blocked-words';
import type { ChatAuthor, ChatMessage, ModerationAction } from './chat-events';

/** Who did it: the moderator's or streamer's public author record. */
export type Actor = ChatAuthor;

export interface ModerationLogEntry {
  id: number;
  channel: string;
  ts: number;
  action: ModerationAction;
  actor: Actor;
  targetUserId: string | null;
  targetMessageId: string | null;
  detail: Record<string, unknown>;
}

export interface KnownUser {
  id: string;
  name: string;
  address: string;
}

interface LogRow {
  id: number;
  channel: string;
  ts: number;
  action: ModerationAction;
  actor_id: string;
  actor_name: string;
  actor_role: Actor['role'];
  target_user_id: string | null;
  target_message_id: string | null;
  detail: string;
}

/**
 * Moderation state, all of it in SQLite so it survives restarts and is shared
 * by every process on the same database: sanctions (timeouts, bans by public id
 * and address), slow mode per channel, blocked words, the users seen (public id,
 * last name, last address) and a log of every action.
 *
 * Checks read the database each time (indexed, microseconds) rather than a
 * cache, so an action taken on one node applies on all of them.
 */
export class Moderation {
  private readonly words = new BlockedWordsCache();
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly config: Pick<ChatConfig, 'slowModeSeconds' | 'blockedWords'>,
  ) {
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
      banned: db.prepare(
        `SELECT 1 FROM chat_sanctions
         WHERE channel = @channel AND kind = 'ban' AND lifted_at IS NULL AND (user_id = @userId OR address = @address) LIMIT 1`,
      ),
      sanction: db.prepare(
        `INSERT INTO chat_sanctions (channel, kind, user_id, address, reason, until, created_at, created_by)
         VALUES (@channel, @kind, @userId, @address, @reason, @until, @now, @by)`,
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
    };
  }

  // ── users ────────────────────────────────────────────────────────────────

  /** Remembers a viewer's current name and address (for bans of viewers who have left). */
  touchUser(user: KnownUser, now: number): void {
    this.q.touchUser.run({ ...user, now });
  }

  user(id: string): KnownUser | undefined {
    return this.q.user.get(id) as KnownUser | undefined;
  }

  // ── checks ───────────────────────────────────────────────────────────────

  slowModeSeconds(channel: string): number {
    const row = this.q.slowMode.get(channel) as { s: number } | undefined;
    return row ? row.s : this.config.slowModeSeconds;
  }

  /** When a running timeout ends, or undefined. */
  timeoutUntil(channel: string, userId: string, now: number): number | undefined {
    const row = this.q.timeoutUntil.get(channel, userId, now) as { until: number | null };
    return row.until ?? undefined;
  }

  /** A ban on this public id, or on this address. */
  isBanned(channel: string, userId: string, address: string): boolean {
    return this.q.banned.get({ channel, userId, address }) !== undefined;
  }

  /** Configured words first, then the channel's own. */
  blockedWords(channel: string): string[] {
    return [...this.config.blockedWords, ...this.channelBlockedWords(channel)];
  }

  channelBlockedWords(channel: string): string[] {
    return (this.q.words.all(channel) as { word: string }[]).map((r) => r.word);
  }

  /** The blocked entry the text contains, or undefined. */
  findBlockedWord(channel: string, text: string): string | undefined {
    return this.words.matcher(channel, this.blockedWords(channel)).find(text);
  }

  // ── actions: each writes its effect and a log entry in one transaction ─────

  setSlowMode(channel: string, seconds: number, actor: Actor, now: number): void {
    this.db.transaction(() => {
      this.q.setSlowMode.run(channel, seconds);
      this.log(channel, 'slow-mode', actor, now, { detail: { seconds } });
    })();
  }

  /** Returns when the timeout ends. */
  timeout(channel: string, target: KnownUser, seconds: number, reason: string | undefined, actor: Actor, now: number): number {
    const until = now + seconds * 1000;
    this.db.transaction(() => {
      this.q.sanction.run({ channel, kind: 'timeout', userId: target.id, address: null, reason: reason ?? null, until, now, by: actor.id });
      this.log(channel, 'timeout', actor, now, { targetUserId: target.id, detail: { name: target.name, seconds, reason } });
    })();
    return until;
  }

  /** Bans the public id and, when `target.address` is not empty, that address. */
  ban(channel: string, target: KnownUser, reason: string | undefined, actor: Actor, now: number): void {
    this.db.transaction(() => {
      this.q.sanction.run({ channel, kind: 'ban', userId: target.id, address: target.address || null, reason: reason ?? null, until: null, now, by: actor.id });
      this.log(channel, 'ban', actor, now, { targetUserId: target.id, detail: { name: target.name, reason, byAddress: Boolean(target.address) } });
    })();
  }

  /** Lifts bans and running timeouts of this id; true when there was something to lift. */
  unban(channel: string, target: KnownUser, actor: Actor, now: number): boolean {
    return this.db.transaction(() => {
      const lifted = this.q.lift.run({ channel, userId: target.id, now, by: actor.id }).changes;
      if (lifted > 0) this.log(channel, 'unban', actor, now, { targetUserId: target.id, detail: { name: target.name } });
      return lifted > 0;
    })();
  }

  /** Logs a deletion; the text is kept here for review, not in the history. */
  recordDelete(message: ChatMessage, actor: Actor, now: number): void {
    this.log(message.channel, 'delete', actor, now, {
      targetUserId: message.author.id,
      targetMessageId: message.id,
      detail: { name: message.author.name, text: message.text, kind: message.kind, sentAt: message.ts },
    });
  }

  /** False when the channel already blocks it. */
  addBlockedWord(channel: string, word: string, actor: Actor, now: number): boolean {
    return this.db.transaction(() => {
      const added = this.q.addWord.run(channel, word, now).changes > 0;
      if (added) this.log(channel, 'block-word', actor, now, { detail: { word } });
      return added;
    })();
  }

  /** False when the channel does not block it (words from the configuration stay). */
  removeBlockedWord(channel: string, word: string, actor: Actor, now: number): boolean {
    return this.db.transaction(() => {
      const removed = this.q.removeWord.run(channel, word).changes > 0;
      if (removed) this.log(channel, 'unblock-word', actor, now, { detail: { word } });
      return removed;
    })();
  }

  /** The newest entries first. */
  logEntries(channel: string, limit = 100): ModerationLogEntry[] {
    return (this.q.readLog.all(channel, limit) as LogRow[]).map((r) => ({
      id: r.id,
      channel: r.channel,
      ts: r.ts,
      action: r.action,
      actor: { id: r.actor_id, name: r.actor_name, role: r.actor_role },
      targetUserId: r.target_user_id,
      targetMessageId: r.target_message_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  private log(
    channel: string,
    action: ModerationAction,
    actor: Actor,
    ts: number,
    opts: { targetUserId?: string; targetMessageId?: string; detail: Record<string, unknown> },
  ): void {
    this.q.log.run({
      channel,
      ts,
      action,
      actorId: actor.id,
      actorName: actor.name,
      actorRole: actor.role,
      targetUserId: opts.targetUserId ?? null,
      targetMessageId: opts.targetMessageId ?? null,
      detail: JSON.stringify(opts.detail),
    });
  }
}
