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
    this.timer = setInterval(() => void this.flush(), this.deps.intervalMs);
  }

  /** Stops the timer and writes what is pending (without broadcasting). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush(false);
  }

  add(channel: string, taps: number): void {
    this.pending.set(channel, (this.pending.get(channel) ?? 0) + taps);
  }

  /** Stored total plus what has not been flushed yet. */
  async total(channel: string): Promise<number> {
    const stored = await this.deps.store.total(channel);
    return stored + (this.pending.get(channel) ?? 0);
  }

  /** Writes each channel's pending taps; a channel's total is broadcast after its write. */
  async flush(broadcast = true): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    for (const [channel, delta] of batch) {
      try {
        const total = await this.deps.store.add(channel, delta);
        if (broadcast) this.deps.broadcast({ channel, total, delta });
      } catch (err) {
        this.deps.onError(err);
      }
    }
  }
}
