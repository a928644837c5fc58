import type { ViewerCount } from './chat-events';

interface ChannelTally {
  /** Chat connections per public id: several tabs of one browser count once. */
  chat: Map<string, number>;
  /** Player sessions without chat per client address: one address counts once, however many streams it opens. */
  players: Map<string, number>;
  /** What was last broadcast. */
  announced: number;
}

/** One node's local viewers per channel, as it reported them (several nodes behind Redis). */
export interface NodeViewerReport {
  node: string;
  /** Channel → that node's local count; a channel left out counts 0. */
  counts: Record<string, number>;
  /** The report holds this long (a few of the sender's intervals); 0 = the node is leaving. */
  ttlMs: number;
}

/**
 * Viewers per channel: distinct chat users plus distinct addresses of players
 * watching without chat (registered by the HTTP layer, one per SSE connection
 * of a chat-less embed). Chat users are distinct identities, which a client
 * chooses: their number per address is bounded by 'chat.maxSocketsPerAddress'. Every `intervalMs` each channel whose count changed gets a `viewers`
 * broadcast. Read-only overlay connections (OBS) are not registered.
 *
 * With several nodes, each tick hands this node's counts to `report` (sent to
 * the others), and the reports of the other nodes (`remoteReport`) are added
 * to the local counts until they expire: a node that dies stops counting
 * after its report's ttl. A browser with tabs on two nodes counts twice.
 */
export class ViewerCounter {
  private readonly tallies = new Map<string, ChannelTally>();
  private readonly remote = new Map<string, { counts: Record<string, number>; expiresAt: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      intervalMs: number;
      broadcast(count: ViewerCount): void;
      onError(err: unknown): void;
      /** Several nodes: this node's counts, every tick. */
      report?(counts: Record<string, number>): void;
      clock?: () => number;
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
      t = { chat: new Map(), players: new Map(), announced: 0 };
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

  /**
   * Registers a player session without chat from `address`; call the returned function once when it ends (extra
   * calls do nothing). Sessions count per distinct address, so opening many streams does not inflate the count.
   */
  addPlayer(channel: string, address: string): () => void {
    const t = this.tally(channel);
    t.players.set(address, (t.players.get(address) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (t.players.get(address) ?? 1) - 1;
      if (n > 0) t.players.set(address, n);
      else t.players.delete(address);
    };
  }

  /** This node's viewers plus those the other nodes reported. */
  count(channel: string): number {
    return this.localCount(channel) + this.remoteCount(channel);
  }

  localCount(channel: string): number {
    const { chat, players } = this.localBreakdown(channel);
    return chat + players;
  }

  localBreakdown(channel: string): { chat: number; players: number } {
    const t = this.tallies.get(channel);
    return { chat: t?.chat.size ?? 0, players: t?.players.size ?? 0 };
  }

  /** Who this node counts for a channel: chat ids and player addresses (distinct viewers in analytics, hashed there). */
  localKeys(channel: string): string[] {
    const t = this.tallies.get(channel);
    return t ? [...[...t.chat.keys()].map((id) => `chat:${id}`), ...[...t.players.keys()].map((a) => `player:${a}`)] : [];
  }

  /** This node's non-zero counts per channel (what `report` receives). */
  localCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const channel of this.tallies.keys()) {
      const n = this.localCount(channel);
      if (n > 0) out[channel] = n;
    }
    return out;
  }

  /** Another node's counts (replacing its previous report). */
  remoteReport(r: NodeViewerReport): void {
    if (r.ttlMs <= 0) this.remote.delete(r.node);
    else this.remote.set(r.node, { counts: r.counts, expiresAt: this.now() + r.ttlMs });
  }

  private remoteCount(channel: string): number {
    if (this.remote.size === 0) return 0;
    const now = this.now();
    let sum = 0;
    for (const [node, r] of this.remote) {
      if (r.expiresAt <= now) this.remote.delete(node);
      else sum += r.counts[channel] ?? 0;
    }
    return sum;
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** Reports this node's counts (several nodes), broadcasts changed counts, forgets channels nobody here watches any more. */
  tick(): void {
    if (this.deps.report) {
      try {
        this.deps.report(this.localCounts());
      } catch (err) {
        this.deps.onError(err);
      }
    }
    for (const [channel, t] of this.tallies) {
      const count = t.chat.size + t.players.size + this.remoteCount(channel);
      if (count !== t.announced) {
        t.announced = count;
        try {
          this.deps.broadcast({ channel, count });
        } catch (err) {
          this.deps.onError(err);
        }
      }
      // Nobody here: nobody to tell, whatever the other nodes count.
      if (t.chat.size + t.players.size === 0) this.tallies.delete(channel);
    }
  }
}
