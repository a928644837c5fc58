import type { ChatMessage } from './chat-events';

interface ChannelLog {
  /** Messages some shard has not had yet; messages[0] is number `base`. A withdrawn one is left as a hole. */
  messages: (ChatMessage | undefined)[];
  base: number;
  /** Per shard: the number of the first message it has not had. */
  next: number[];
  timer: NodeJS.Timeout | undefined;
  /** The shard the next tick flushes. */
  turn: number;
  /** Ticks since the last message came in (two full rounds: every shard has had it and then nothing for an interval). */
  quietTicks: number;
}

/**
 * Messages for clients that asked for batches (`auth.batch`): per channel,
 * at most one `messages` packet every `intervalMs` to each client. The first
 * message after a quiet spell goes out at once (no added latency in a calm
 * room); in a busy room the following ones wait for their client's next
 * flush, at most `intervalMs`.
 *
 * Why batches: a busy room's cost is per packet, not per byte — one write per
 * viewer per packet on the server (mostly kernel time on the socket), one
 * WebSocket frame to parse per viewer. 100 messages/s to 5,000 viewers is
 * 500,000 packets/s one by one, 50,000 in batches of 100 ms. With
 * `intervalFor`, the interval can grow with the room (chat-server.ts: past a
 * packet budget per room, fewer and bigger packets).
 *
 * Why shards: the clients of a channel are split into `shards` groups
 * (chat-io.ts `batchShardOf`), flushed in turn, one every interval / shards.
 * The writes are as many, but a flush walks a shard's sockets, not the whole
 * room: at 10,000 viewers one walk takes about 0.1 s, and with one flush per
 * interval the last socket of the walk got every message that much later.
 * Only in the first round after a quiet spell does a shard's second packet
 * come sooner than an interval after the first (the turns start then).
 */
export class MessageBatcher {
  private readonly channels = new Map<string, ChannelLog>();
  private readonly shards: number;

  constructor(
    private readonly deps: {
      intervalMs: number;
      /** How many groups a channel's batch clients are split into, flushed in turn (1: the whole room at once). */
      shards?: number;
      /** The channel's interval now (e.g. longer for a large room); `intervalMs` when absent. */
      intervalFor?(channel: string): number;
      /** Sends one shard its messages (never empty); a throw goes to onError. */
      flush(channel: string, messages: ChatMessage[], shard: number): void;
      onError(err: unknown): void;
    },
  ) {
    this.shards = Math.max(1, deps.shards ?? 1);
  }

  private interval(channel: string): number {
    return this.deps.intervalFor?.(channel) ?? this.deps.intervalMs;
  }

  add(channel: string, message: ChatMessage): void {
    const log = this.channels.get(channel);
    if (log) {
      log.messages.push(message);
      log.quietTicks = 0;
      return;
    }
    // A quiet channel: every shard gets it now, then they take turns.
    const fresh: ChannelLog = { messages: [message], base: 0, next: new Array<number>(this.shards).fill(0), timer: undefined, turn: 0, quietTicks: 0 };
    this.channels.set(channel, fresh);
    for (let s = 0; s < this.shards; s++) this.send(channel, fresh, s);
    this.schedule(channel, fresh);
  }

  private schedule(channel: string, log: ChannelLog): void {
    log.timer = setTimeout(() => this.tick(channel, log), this.interval(channel) / this.shards);
  }

  private tick(channel: string, log: ChannelLog): void {
    const shard = log.turn;
    log.turn = (shard + 1) % this.shards;
    log.quietTicks++;
    // The next turn's clock starts before this flush's writes: at 10 µs or more a socket, a shard of a large room
    // takes milliseconds to write, and counted into the turn it stretched the interval (at 5,000 clients, 100 ms
    // batches went out every 190 ms).
    this.schedule(channel, log);
    this.send(channel, log, shard);
    // Every shard has had the last message and then a turn with nothing new: quiet, forget the channel (its
    // next message goes out at once, at least an interval after each shard's last packet).
    if (log.quietTicks >= 2 * this.shards && log.messages.length === 0) {
      clearTimeout(log.timer);
      log.timer = undefined;
      this.channels.delete(channel);
    }
  }

  private send(channel: string, log: ChannelLog, shard: number): void {
    const end = log.base + log.messages.length;
    const from = log.next[shard];
    if (from === end) return;
    const messages = log.messages.slice(from - log.base).filter((m): m is ChatMessage => m !== undefined);
    log.next[shard] = end;
    // What every shard has had is dropped.
    const oldest = Math.min(...log.next);
    if (oldest > log.base) {
      log.messages.splice(0, oldest - log.base);
      log.base = oldest;
    }
    if (messages.length === 0) return;
    try {
      this.deps.flush(channel, messages, shard);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /**
   * A message deleted while it waited: the shards that have not had it never get it (those that had it get the
   * room's `message:deleted`). Memory only, no store read per flush.
   */
  withdraw(channel: string, id: string): void {
    const log = this.channels.get(channel);
    if (!log) return;
    const i = log.messages.findIndex((m) => m?.id === id);
    if (i >= 0) log.messages[i] = undefined;
  }

  /** Drops what is pending (it is in the store; clients see it in the history when they reconnect). */
  stop(): void {
    for (const log of this.channels.values()) if (log.timer) clearTimeout(log.timer);
    this.channels.clear();
  }
}
