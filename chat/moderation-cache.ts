import type { Clock } from '../core/clock';
import type { ChatMessageStore } from '../storage/chat-message-store';
import type { ChatModerationStore } from '../storage/chat-moderation-store';

/** The moderation state a message is checked against, as the store answers it. */
export interface ModerationReads {
  /** The channel's own slow-mode setting, or undefined when it has none. */
  slowModeSeconds(channel: string): Promise<number | undefined>;
  /** The channel's own blocked words. */
  blockedWords(channel: string): Promise<string[]>;
  /** When a running (not lifted, not over at `now`) timeout of this user ends, or undefined. */
  timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined>;
  /** When this user last wrote in this channel (slow mode), or undefined. */
  lastMessageTs(channel: string, userId: string): Promise<number | undefined>;
  /** A message by this user was stored at `ts`. */
  sent(channel: string, userId: string, ts: number): void;
  /** The channel's moderation state changed (an action here or on another node). */
  invalidate(channel: string): void;
  /** Forgets what is no longer needed (call now and then). */
  sweep(): void;
}

/** Where the cache loads from: the moderation store (one read per channel for its running timeouts, not one per user). */
export type ModerationSource = Pick<ChatModerationStore, 'slowModeSeconds' | 'blockedWords' | 'runningTimeouts' | 'timeoutUntil'>;
/** Where a user's last message is found. */
export type LastMessageSource = Pick<ChatMessageStore, 'lastMessageTs'>;

/** Straight to the store on every check (SQLite: an in-process read of microseconds, and right across processes). */
export function directReads(store: ModerationSource, messages: LastMessageSource): ModerationReads {
  return {
    slowModeSeconds: (channel) => store.slowModeSeconds(channel),
    blockedWords: (channel) => store.blockedWords(channel),
    timeoutUntil: (channel, userId, now) => store.timeoutUntil(channel, userId, now),
    lastMessageTs: (channel, userId) => messages.lastMessageTs(channel, userId),
    sent: () => {},
    invalidate: () => {},
    sweep: () => {},
  };
}

interface ChannelEntry {
  expiresAt: number;
  slowMode?: Promise<number | undefined>;
  words?: Promise<string[]>;
  timeouts?: Promise<Map<string, number>>;
}

/** A user with no message in the channel (known, unlike a user not looked up yet). */
const NEVER = -Infinity;

/**
 * The moderation state of each channel, read from the store once and then kept
 * here, so that a chat message costs no store read for its checks (PostgreSQL:
 * a network round trip each). A channel's entry is dropped on every moderation
 * action (invalidate(): on this node at once, on the other nodes through the
 * chat's inter-node event) and otherwise lives `ttlMs`, the bound for a change
 * whose inter-node event was lost (Redis away) or that no event carries (nodes on
 * one database without Redis). A read that fails is not kept: the next check
 * reads again.
 *
 * Slow mode needs each user's last message: known from the messages this node
 * stored (sent()), read from the store the first time a user writes here. A
 * user writing through two nodes at once is held to slow mode on each node
 * separately.
 */
export class ModerationCache implements ModerationReads {
  private readonly channels = new Map<string, ChannelEntry>();
  /** channel → user → their last message's time (NEVER: none). */
  private readonly lastSent = new Map<string, Map<string, number>>();
  /** Each channel's slow mode as last loaded (its own, else the default), for sweep(). */
  private readonly slowModes = new Map<string, number>();

  constructor(
    private readonly source: ModerationSource,
    private readonly messages: LastMessageSource,
    private readonly opts: { ttlMs: number; clock: Clock; defaultSlowModeSeconds: number },
  ) {}

  slowModeSeconds(channel: string): Promise<number | undefined> {
    return this.field(channel, 'slowMode', () => this.source.slowModeSeconds(channel));
  }

  blockedWords(channel: string): Promise<string[]> {
    return this.field(channel, 'words', () => this.source.blockedWords(channel));
  }

  async timeoutUntil(channel: string, userId: string, now: number): Promise<number | undefined> {
    const timeouts = await this.field(channel, 'timeouts', () => this.source.runningTimeouts(channel, this.opts.clock()));
    const until = timeouts.get(userId);
    return until !== undefined && until > now ? until : undefined;
  }

  async lastMessageTs(channel: string, userId: string): Promise<number | undefined> {
    const known = this.lastSent.get(channel)?.get(userId);
    if (known !== undefined) return known === NEVER ? undefined : known;
    const stored = await this.messages.lastMessageTs(channel, userId);
    // A message stored here meanwhile is newer than what the read saw.
    const seen = this.lastSent.get(channel)?.get(userId);
    if (seen === undefined) this.remember(channel, userId, stored ?? NEVER);
    return seen !== undefined ? (seen === NEVER ? undefined : seen) : stored;
  }

  sent(channel: string, userId: string, ts: number): void {
    const known = this.lastSent.get(channel)?.get(userId);
    if (known === undefined || ts > known) this.remember(channel, userId, ts);
  }

  invalidate(channel: string): void {
    this.channels.delete(channel);
  }

  /**
   * Drops last-message times that the channel's slow mode no longer needs (a later look-up reads the store again),
   * and expired entries.
   */
  sweep(): void {
    const now = this.opts.clock();
    for (const [channel, entry] of this.channels) if (entry.expiresAt <= now) this.channels.delete(channel);
    for (const [channel, users] of this.lastSent) {
      const slow = this.slowModes.get(channel);
      if (slow === undefined || slow <= 0) {
        this.lastSent.delete(channel);
        continue;
      }
      for (const [user, ts] of users) if (ts + slow * 1000 <= now) users.delete(user);
      if (users.size === 0) this.lastSent.delete(channel);
    }
  }

  private remember(channel: string, userId: string, ts: number) {
    let users = this.lastSent.get(channel);
    if (!users) this.lastSent.set(channel, (users = new Map()));
    users.set(userId, ts);
  }

  private field<K extends 'slowMode' | 'words' | 'timeouts'>(channel: string, key: K, load: () => NonNullable<ChannelEntry[K]>): NonNullable<ChannelEntry[K]> {
    const now = this.opts.clock();
    let entry = this.channels.get(channel);
    if (!entry || entry.expiresAt <= now) {
      entry = { expiresAt: now + this.opts.ttlMs };
      this.channels.set(channel, entry);
    }
    const cached = entry[key];
    if (cached) return cached as NonNullable<ChannelEntry[K]>;
    const loading = load();
    entry[key] = loading;
    const owner = entry;
    loading.then(
      (value) => {
        if (key === 'slowMode') this.slowModes.set(channel, (value as number | undefined) ?? this.opts.defaultSlowModeSeconds);
      },
      // Not kept: the next check reads again.
      () => {
        if (owner[key] === loading) delete owner[key];
      },
    );
    return loading;
  }
}
