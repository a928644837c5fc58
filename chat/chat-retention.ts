import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { ChatStores } from '../storage/stores';

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  /** 'chat.retentionDays': rows older than this many days are deleted; 0 keeps everything. */
  days: number;
  stores: Pick<ChatStores, 'messages' | 'moderation'>;
  clock: Clock;
  log: Logger;
  /** How often to purge after the first time (a day; tests shorten it). */
  intervalMs?: number;
}

export interface RetentionResult {
  messages: number;
  log: number;
  users: number;
  sanctions: number;
}

/**
 * Chat data retention: messages, moderation log entries, viewers' last names
 * and addresses, and ended sanctions older than 'chat.retentionDays' are
 * deleted when the chat starts and then daily. The timer does not keep the
 * process alive and is cleared on stop().
 */
export class ChatRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RetentionDeps) {}

  start(): void {
    if (this.deps.days === 0 || this.timer) return;
    void this.purgeLogged();
    this.timer = setInterval(() => void this.purgeLogged(), this.deps.intervalMs ?? DAY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes what is older than the retention period now; nothing when it is 0. */
  async purge(): Promise<RetentionResult> {
    const { days, stores, clock } = this.deps;
    if (days === 0) return { messages: 0, log: 0, users: 0, sanctions: 0 };
    const before = clock() - days * DAY_MS;
    const messages = await stores.messages.purgeBefore(before);
    return { messages, ...(await stores.moderation.purgeBefore(before)) };
  }

  private async purgeLogged(): Promise<void> {
    try {
      const purged = await this.purge();
      if (Object.values(purged).some((n) => n > 0)) this.deps.log.info({ ...purged, days: this.deps.days }, 'chat retention: old rows deleted');
    } catch (err) {
      this.deps.log.error({ err }, 'chat retention purge failed');
    }
  }
}
