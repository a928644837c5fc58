/** A viewer seen in the chat: public id, last name, last address (for bans of viewers who have left). */
export interface KnownUserRecord {
  id: string;
  name: string;
  address: string;
}

export interface NewModerationLogRecord {
  channel: string;
  ts: number;
  action: string;
  actorId: string;
  actorName: string;
  actorRole: string;
  targetUserId: string | null;
  targetMessageId: string | null;
  /** A JSON object (SQLite keeps it as text; PostgreSQL would use jsonb). */
  detail: Record<string, unknown>;
}

export interface ModerationLogRecord extends NewModerationLogRecord {
  /** Increasing: newer entries have larger ids. */
  id: number;
}

export interface SanctionRecord {
  channel: string;
  kind: 'timeout' | 'ban';
  userId: string;
  /** Bans only: also refuse this address (null: the id alone). */
  address: string | null;
  reason: string | null;
  /** Timeouts only: when it ends (ms since the epoch). */
  until: number | null;
  createdAt: number;
  createdBy: string;
}

/**
 * Moderation state: users seen, sanctions, slow mode per channel, blocked words
 * per channel, and the log of actions. Every method that changes state and
 * takes a `log` record writes both in one transaction. The embedded
 * implementation is storage/sqlite/sqlite-chat-moderation-store.ts.
 */
export interface ChatModerationStore {
  touchUser(user: KnownUserRecord, now: number): Promise<void>;
  user(id: string): Promise<KnownUserRecord | undefined>;

  /** The channel's own setting, or undefined when it has none. */
  slowModeSeconds(channel: string): Promise<number | undefined>;
  setSlowMode(channel: string, seconds: number, log: NewModerationLogRecord): Promise<void>;

  /** When the latest running (not lifted, not over at `now`) timeout ends, or undefined. */
  timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined>;
  /** Every running timeout of the channel: user id → when the latest ends (a cache loads them in one read). */
  runningTimeouts(channel: string, now: number): Promise<Map<string, number>>;
  /** A standing ban on this id, or on this address. */
  isBanned(channel: string, userId: string, address: string): Promise<boolean>;
  addSanction(sanction: SanctionRecord, log: NewModerationLogRecord): Promise<void>;
  /** Lifts the id's bans and running timeouts; writes `log` only when something was lifted, and says so. */
  liftSanctions(channel: string, userId: string, now: number, by: string, log: NewModerationLogRecord): Promise<boolean>;

  /** The channel's own blocked words, sorted. */
  blockedWords(channel: string): Promise<string[]>;
  /** False (and no log) when the channel already blocks it. */
  addBlockedWord(channel: string, word: string, now: number, log: NewModerationLogRecord): Promise<boolean>;
  /** False (and no log) when the channel does not block it. */
  removeBlockedWord(channel: string, word: string, log: NewModerationLogRecord): Promise<boolean>;

  appendLog(entry: NewModerationLogRecord): Promise<void>;
  /** The newest entries first. */
  logEntries(channel: string, limit: number): Promise<ModerationLogRecord[]>;

  /**
   * Retention: deletes, in every channel, log entries from before `ts`, viewers last seen before it (their last name
   * and address), and sanctions that ended before it (lifted, or timeouts run out). Standing bans stay.
   */
  purgeBefore(ts: number): Promise<PurgedModerationRows>;
}

export interface PurgedModerationRows {
  log: number;
  users: number;
  sanctions: number;
}
