import type { ChatModerationStore, NewModerationLogRecord } from '../storage/chat-moderation-store';
import type { ChatMessageStore } from '../storage/chat-message-store';
import type { ChatConfig } from '../core/config-schema';
import type { Clock } from '../core/clock';
import { BlockedWordsCache } from './blocked-words';
import type { ChatAuthor, ChatMessage, ModerationAction } from './chat-events';
import { directReads, ModerationCache, type ModerationReads } from './moderation-cache';

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

export interface ModerationOptions {
  /** Where slow mode finds a user's last message; without it, slow mode never holds a message back. */
  messages?: Pick<ChatMessageStore, 'lastMessageTs'>;
  /**
   * Keep each channel's moderation state this long between store reads (moderation-cache.ts); 0 (the default) reads
   * the store for every check. Set for PostgreSQL, where every read is a network round trip.
   */
  cacheMs?: number;
  clock?: Clock;
  /** Told after every change of a channel's moderation state made here (the chat tells the other nodes). */
  onChange?(channel: string): void;
}

/**
 * Moderation: sanctions (timeouts, bans by public id and address), slow mode
 * per channel, blocked words, the users seen (public id, last name, last
 * address) and a log of every action, kept in a ChatModerationStore so it
 * survives restarts and is shared by every process on the same store.
 *
 * The checks a message goes through (timeout, slow mode, blocked words) read
 * the store each time (SQLite: indexed, microseconds, and right for every
 * process on the file), or, with `cacheMs` (PostgreSQL), a per-channel cache
 * that every action here drops at once and that the other nodes drop when
 * told (invalidate()), or after `cacheMs` at the latest. Bans are checked when
 * a viewer connects, always against the store.
 */
export class Moderation {
  private readonly words = new BlockedWordsCache();
  private readonly reads: ModerationReads;

  constructor(
    private readonly store: ChatModerationStore,
    private readonly config: Pick<ChatConfig, 'slowModeSeconds' | 'blockedWords'>,
    private readonly opts: ModerationOptions = {},
  ) {
    const messages = opts.messages ?? { lastMessageTs: async () => undefined };
    this.reads = opts.cacheMs
      ? new ModerationCache(store, messages, {
          ttlMs: opts.cacheMs, clock: opts.clock ?? Date.now, defaultSlowModeSeconds: config.slowModeSeconds,
        })
      : directReads(store, messages);
  }

  /** The channel's moderation state changed elsewhere (another node's action): the next check reads the store. */
  invalidate(channel: string): void {
    this.reads.invalidate(channel);
  }

  /** Forgets cached state that is no longer needed (call now and then). */
  sweep(): void {
    this.reads.sweep();
  }

  // ── users ────────────────────────────────────────────────────────────────

  /** Remembers a viewer's current name and address (for bans of viewers who have left). */
  touchUser(user: KnownUser, now: number): Promise<void> {
    return this.store.touchUser(user, now);
  }

  user(id: string): Promise<KnownUser | undefined> {
    return this.store.user(id);
  }

  // ── checks ───────────────────────────────────────────────────────────────

  async slowModeSeconds(channel: string): Promise<number> {
    return (await this.reads.slowModeSeconds(channel)) ?? this.config.slowModeSeconds;
  }

  /** How long slow mode holds this user's next message back (0: it may go now). */
  async slowModeWaitMs(channel: string, userId: string, now: number): Promise<number> {
    const slow = await this.slowModeSeconds(channel);
    const last = slow > 0 ? await this.reads.lastMessageTs(channel, userId) : undefined;
    return last !== undefined && now - last < slow * 1000 ? last + slow * 1000 - now : 0;
  }

  /** A message by this user was stored at `ts` (what slow mode counts from). */
  sent(channel: string, userId: string, ts: number): void {
    this.reads.sent(channel, userId, ts);
  }

  /** When a running timeout ends, or undefined. */
  timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined> {
    return this.reads.timeoutUntil(channel, userId, now);
  }

  /** A ban on this public id, or on this address. */
  isBanned(channel: string, userId: string, address: string): Promise<boolean> {
    return this.store.isBanned(channel, userId, address);
  }

  /** Configured words first, then the channel's own. */
  async blockedWords(channel: string): Promise<string[]> {
    return [...this.config.blockedWords, ...(await this.channelBlockedWords(channel))];
  }

  channelBlockedWords(channel: string): Promise<string[]> {
    return this.reads.blockedWords(channel);
  }

  /** The blocked entry the text contains, or undefined. */
  async findBlockedWord(channel: string, text: string): Promise<string | undefined> {
    return this.words.matcher(channel, await this.blockedWords(channel)).find(text);
  }

  // ── actions: the store writes each effect and its log entry in one transaction; then the state is changed() ─────

  setSlowMode(channel: string, seconds: number, actor: Actor, now: number): Promise<void> {
    return this.changed(channel, this.store.setSlowMode(channel, seconds, logRecord(channel, 'slow-mode', actor, now, { detail: { seconds } })));
  }

  /** Returns when the timeout ends. */
  async timeout(channel: string, target: KnownUser, seconds: number, reason: string | undefined, actor: Actor, now: number): Promise<number> {
    const until = now + seconds * 1000;
    await this.changed(
      channel,
      this.store.addSanction(
        { channel, kind: 'timeout', userId: target.id, address: null, reason: reason ?? null, until, createdAt: now, createdBy: actor.id },
        logRecord(channel, 'timeout', actor, now, { targetUserId: target.id, detail: { name: target.name, seconds, reason } }),
      ),
    );
    return until;
  }

  /** Bans the public id and, when `target.address` is not empty, that address. */
  ban(channel: string, target: KnownUser, reason: string | undefined, actor: Actor, now: number): Promise<void> {
    return this.changed(
      channel,
      this.store.addSanction(
        { channel, kind: 'ban', userId: target.id, address: target.address || null, reason: reason ?? null, until: null, createdAt: now, createdBy: actor.id },
        logRecord(channel, 'ban', actor, now, { targetUserId: target.id, detail: { name: target.name, reason, byAddress: Boolean(target.address) } }),
      ),
    );
  }

  /** Lifts bans and running timeouts of this id; true when there was something to lift. */
  unban(channel: string, target: KnownUser, actor: Actor, now: number): Promise<boolean> {
    return this.changed(
      channel,
      this.store.liftSanctions(channel, target.id, now, actor.id, logRecord(channel, 'unban', actor, now, { targetUserId: target.id, detail: { name: target.name } })),
    );
  }

  /** Logs a deletion; the text is kept here for review, not in the history. */
  recordDelete(message: ChatMessage, actor: Actor, now: number): Promise<void> {
    return this.store.appendLog(
      logRecord(message.channel, 'delete', actor, now, {
        targetUserId: message.author.id,
        targetMessageId: message.id,
        detail: { name: message.author.name, text: message.text, kind: message.kind, sentAt: message.ts },
      }),
    );
  }

  /** False when the channel already blocks it. */
  addBlockedWord(channel: string, word: string, actor: Actor, now: number): Promise<boolean> {
    return this.changed(channel, this.store.addBlockedWord(channel, word, now, logRecord(channel, 'block-word', actor, now, { detail: { word } })));
  }

  /** False when the channel does not block it (words from the configuration stay). */
  removeBlockedWord(channel: string, word: string, actor: Actor, now: number): Promise<boolean> {
    return this.changed(channel, this.store.removeBlockedWord(channel, word, logRecord(channel, 'unblock-word', actor, now, { detail: { word } })));
  }

  /**
   * Once `write` has committed (and even when it failed: it may have committed before the error), the channel's cached
   * state is dropped here and the other nodes are told. A deletion changes nothing a check reads, so it is not a change.
   */
  private async changed<T>(channel: string, write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.reads.invalidate(channel);
      this.opts.onChange?.(channel);
    }
  }

  /** The newest entries first. */
  async logEntries(channel: string, limit = 100): Promise<ModerationLogEntry[]> {
    return (await this.store.logEntries(channel, limit)).map((r) => ({
      id: r.id,
      channel: r.channel,
      ts: r.ts,
      action: r.action as ModerationAction,
      actor: { id: r.actorId, name: r.actorName, role: r.actorRole as Actor['role'] },
      targetUserId: r.targetUserId,
      targetMessageId: r.targetMessageId,
      detail: r.detail,
    }));
  }
}

function logRecord(
  channel: string,
  action: ModerationAction,
  actor: Actor,
  ts: number,
  opts: { targetUserId?: string; targetMessageId?: string; detail: Record<string, unknown> },
): NewModerationLogRecord {
  return {
    channel,
    ts,
    action,
    actorId: actor.id,
    actorName: actor.name,
    actorRole: actor.role,
    targetUserId: opts.targetUserId ?? null,
    targetMessageId: opts.targetMessageId ?? null,
    detail: opts.detail,
  };
}
