import type { ViewerCount } from './chat-events';

interface ChannelTally {
  /** Chat connections per public id: several tabs of one browser count once. */
  chat: Map<string, number>;
  players: number;
  /** What was last broadcast. */
  announced: number;
}

/**
 * Viewers per channel: distinct chat users plus players watching without chat
 * (registered by the HTTP layer, e.g. one per SSE connection of a chat-less
 * embed). Every `intervalMs` each channel whose count changed gets a `viewers`
 * broadcast. Read-only overlay connections (OBS) are not registered.
 */
export class ViewerCounter {
  private readonly tallies = new Map<string, ChannelTally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      intervalMs: number;
      broadcast(count: ViewerCount): void;
      onError(err: unknown): void;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.deps.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tally(channel: string): ChannelTally {
    let t = this.tallies.get(channel);
    if (!t) {
      t = { chat: new Map(), players: 0, announced: 0 };
      this.tallies.set(channel, t);
    }
    return t;
  }

  /** Registers a chat connection; call the returned function once when it closes (extra calls do nothing). */
  addChat(channel: string, userId: string): () => void {
    const t = this.tally(channel);
    t.chat.set(userId, (t.chat.get(userId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (t.chat.get(userId) ?? 1) - 1;
      if (n > 0) t.chat.set(userId, n);
      else t.chat.delete(userId);
    };
  }

  /** Registers a player session without chat; call the returned function once when it ends (extra calls do nothing). */
  addPlayer(channel: string): () => void {
    const t = this.tally(channel);
    t.players++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      t.players--;
    };
  }

  count(channel: string): number {
    const t = this.tallies.get(channel);
    return t ? t.chat.size + t.players : 0;
  }

  /** Broadcasts changed counts; forgets channels nobody watches any more. */
  tick(): void {
    for (const [channel, t] of this.tallies) {
      const count = t.chat.size + t.players;
      if (count !== t.announced) {
        t.announced = count;
        try {
          this.deps.broadcast({ channel, count });
        } catch (err) {
          this.deps.onError(err);
        }
      }
      if (count === 0) this.tallies.delete(channel);
    }
  }
}
