import type { ChatModerationStore, NewModerationLogRecord } from '../storage/chat-moderation-store';
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

/**
 * Moderation: sanctions (timeouts, bans by public id and address), slow mode
 * per channel, blocked words, the users seen (public id, last name, last
 * address) and a log of every action, kept in a ChatModerationStore so it
 * survives restarts and is shared by every process on the same store.
 *
 * Checks read the store each time (indexed, microseconds) rather than a
 * cache, so an action taken on one node applies on all of them.
 */
export class Moderation {
  private readonly words = new BlockedWordsCache();

  constructor(
    private readonly store: ChatModerationStore,
    private readonly config: Pick<ChatConfig, 'slowModeSeconds' | 'blockedWords'>,
  ) {}

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
    return (await this.store.slowModeSeconds(channel)) ?? this.config.slowModeSeconds;
  }

  /** When a running timeout ends, or undefined. */
  timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined> {
    return this.store.timeoutUntil(channel, userId, now);
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
    return this.store.blockedWords(channel);
  }

  /** The blocked entry the text contains, or undefined. */
  async findBlockedWord(channel: string, text: string): Promise<string | undefined> {
    return this.words.matcher(channel, await this.blockedWords(channel)).find(text);
  }

  // ── actions: the store writes each effect and its log entry in one transaction ─────

  setSlowMode(channel: string, seconds: number, actor: Actor, now: number): Promise<void> {
    return this.store.setSlowMode(channel, seconds, logRecord(channel, 'slow-mode', actor, now, { detail: { seconds } }));
  }

  /** Returns when the timeout ends. */
  async timeout(channel: string, target: KnownUser, seconds: number, reason: string | undefined, actor: Actor, now: number): Promise<number> {
    const until = now + seconds * 1000;
    await this.store.addSanction(
      { channel, kind: 'timeout', userId: target.id, address: null, reason: reason ?? null, until, createdAt: now, createdBy: actor.id },
      logRecord(channel, 'timeout', actor, now, { targetUserId: target.id, detail: { name: target.name, seconds, reason } }),
    );
    return until;
  }

  /** Bans the public id and, when `target.address` is not empty, that address. */
  ban(channel: string, target: KnownUser, reason: string | undefined, actor: Actor, now: number): Promise<void> {
    return this.store.addSanction(
      { channel, kind: 'ban', userId: target.id, address: target.address || null, reason: reason ?? null, until: null, createdAt: now, createdBy: actor.id },
      logRecord(channel, 'ban', actor, now, { targetUserId: target.id, detail: { name: target.name, reason, byAddress: Boolean(target.address) } }),
    );
  }

  /** Lifts bans and running timeouts of this id; true when there was something to lift. */
  unban(channel: string, target: KnownUser, actor: Actor, now: number): Promise<boolean> {
    return this.store.liftSanctions(channel, target.id, now, actor.id, logRecord(channel, 'unban', actor, now, { targetUserId: target.id, detail: { name: target.name } }));
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
    return this.store.addBlockedWord(channel, word, now, logRecord(channel, 'block-word', actor, now, { detail: { word } }));
  }

  /** False when the channel does not block it (words from the configuration stay). */
  removeBlockedWord(channel: string, word: string, actor: Actor, now: number): Promise<boolean> {
    return this.store.removeBlockedWord(channel, word, logRecord(channel, 'unblock-word', actor, now, { detail: { word } }));
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
