import type { LikeStore } from '../storage/like-store';
import type { LikeCount } from './chat-events';

/**
 * Likes are taps: many, small, and worth nothing one by one. They are summed in
 * memory per channel and, every `intervalMs`, written once and broadcast once
 * as `{ total, delta }` — a few events per second per channel however fast
 * people tap.
 */
export class LikeAggregator {
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      store: LikeStore;
      intervalMs: number;
      broadcast(count: LikeCount): void;
      onError(err: unknown): void;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.deps.intervalMs);
  }

  /** Stops the timer and writes what is pending (without broadcasting). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush(false);
  }

  add(channel: string, taps: number): void {
    this.pending.set(channel, (this.pending.get(channel) ?? 0) + taps);
  }

  /** Stored total plus what has not been flushed yet. */
  total(channel: string): number {
    return this.deps.store.total(channel) + (this.pending.get(channel) ?? 0);
  }

  flush(broadcast = true): void {
    for (const [channel, delta] of this.pending) {
      this.pending.delete(channel);
      try {
        const total = this.deps.store.add(channel, delta);
        if (broadcast) this.deps.broadcast({ channel, total, delta });
      } catch (err) {
        this.deps.onError(err);
      }
    }
  }
}
