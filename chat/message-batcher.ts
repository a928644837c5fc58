import type { ChatMessage } from './chat-events';

interface ChannelBatch {
  messages: ChatMessage[];
  timer: NodeJS.Timeout | undefined;
  lastFlush: number;
}

/**
 * Messages for clients that asked for batches (`auth.batch`): per channel,
 * at most one `messages` packet every `intervalMs`. The first message after a
 * quiet spell goes out at once (no added latency in a calm room); in a busy
 * room the following ones wait for the next flush, at most `intervalMs`.
 *
 * Why: a busy room's cost is per packet, not per byte — one write per viewer
 * per packet on the server (mostly kernel time on the socket), one WebSocket
 * frame to parse per viewer. 100 messages/s to 5,000 viewers is 500,000
 * packets/s one by one, 50,000 in batches of 100 ms. With `intervalFor`, the
 * interval can grow with the room (chat-server.ts: past a packet budget per
 * room, fewer and bigger packets).
 */
export class MessageBatcher {
  private readonly channels = new Map<string, ChannelBatch>();

  constructor(
    private readonly deps: {
      intervalMs: number;
      /** The channel's interval now (e.g. longer for a large room); `intervalMs` when absent. */
      intervalFor?(channel: string): number;
      /** May be async (it checks the store); a rejection goes to onError. */
      flush(channel: string, messages: ChatMessage[]): void | Promise<void>;
      onError(err: unknown): void;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private interval(channel: string): number {
    return this.deps.intervalFor?.(channel) ?? this.deps.intervalMs;
  }

  add(channel: string, message: ChatMessage): void {
    let batch = this.channels.get(channel);
    if (!batch) {
      batch = { messages: [], timer: undefined, lastFlush: -Infinity };
      this.channels.set(channel, batch);
    }
    batch.messages.push(message);
    if (batch.timer) return;
    const wait = batch.lastFlush + this.interval(channel) - this.now();
    if (wait <= 0) this.flush(channel);
    else batch.timer = setTimeout(() => this.flush(channel), wait);
  }

  /** Sends what is pending for the channel now. */
  flush(channel: string): void {
    const batch = this.channels.get(channel);
    if (!batch) return;
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = undefined;
    const messages = batch.messages;
    batch.messages = [];
    batch.lastFlush = this.now();
    if (messages.length === 0) {
      this.channels.delete(channel); // quiet: forget it
      return;
    }
    // Check back once the interval is over, to forget the channel when it has gone quiet.
    batch.timer = setTimeout(() => this.flush(channel), this.interval(channel));
    try {
      const done = this.deps.flush(channel, messages);
      if (done instanceof Promise) done.catch((err: unknown) => this.deps.onError(err));
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /** Drops what is pending (it is in the store; clients see it in the history when they reconnect). */
  stop(): void {
    for (const batch of this.channels.values()) if (batch.timer) clearTimeout(batch.timer);
    this.channels.clear();
  }
}
