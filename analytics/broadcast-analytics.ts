import type { AnalyticsConfig } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import { systemClock, type Clock } from '../core/clock';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import type { AnalyticsStore, ViewerSample } from '../storage/analytics-store';
import type { AnalyticsDetail, AnalyticsSummary } from './analytics-types';
import { BroadcastTally, withAverages, type ChatAudience } from './broadcast-tally';

export interface BroadcastAnalyticsDeps {
  config: AnalyticsConfig;
  bus: TypedEmitter<LiveroomEvents>;
  store: AnalyticsStore;
  /** The channel's chat viewers now (the count the chat announces, and this node's viewer keys). */
  chatAudience(channel: string): ChatAudience;
  /** The channel's like total now. */
  likes(channel: string): Promise<number>;
  log: Logger;
  clock?: Clock;
}

/**
 * Engagement analytics per broadcast: a tally per broadcast on air, fed by the
 * bus (broadcast start and end, chat messages, shares) and by the HLS routes
 * (hlsRequest, mediaServed), sampled every 'analytics.sampleIntervalMs' into
 * the store (figures and a viewers sample per tick: a crash loses at most one
 * interval), closed when the broadcast ends. start() closes what a crash left
 * open and subscribes; stop() unsubscribes, stops the timer and stores the
 * broadcasts still on air as interrupted.
 */
export class BroadcastAnalytics {
  /** Tallies on air by broadcast id; a channel's newest is the one its viewers and chat count for. */
  private readonly tallies = new Map<string, BroadcastTally>();
  private readonly current = new Map<string, BroadcastTally>();
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;
  /** Every read of the likes and write of the store, in the order of the events that asked for them. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BroadcastAnalyticsDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  async start(): Promise<void> {
    if (this.unsubscribe.length) return;
    const closed = await this.deps.store.closeInterrupted();
    if (closed) this.deps.log.info({ broadcasts: closed }, 'analytics of broadcasts cut by a stop without an end kept as interrupted');
    this.listen('broadcast:started', (e) => this.begin(e.channel, e.broadcastId, e.startedAt));
    this.listen('broadcast:ended', (e) => this.end(e.broadcastId, e.endedAt, 'complete'));
    this.listen('chat:message', (e) => this.current.get(e.channel)?.message(e.kind, e.authorId));
    this.listen('channel:shared', (e) => this.current.get(e.channel)?.share());
    this.timer = setInterval(() => void this.tick(), this.deps.config.sampleIntervalMs);
  }

  /** Resolves once every broadcast still on air is stored as interrupted. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.timer);
    this.timer = undefined;
    for (const id of [...this.tallies.keys()]) this.end(id, this.clock(), 'interrupted');
    await this.queue;
  }

  /** An HLS request of `channel` from a client address (counted for the channel's broadcast on air, if any). */
  hlsRequest(channel: string, address: string): void {
    this.current.get(channel)?.hlsRequest(address);
  }

  mediaServed(channel: string, rendition: string, bytes: number): void {
    this.current.get(channel)?.mediaServed(rendition, bytes);
  }

  /** Samples every broadcast on air now (the timer's tick; tests call it with a fake clock); resolves once stored. */
  tick(): Promise<void> {
    const at = this.clock();
    for (const tally of this.tallies.values()) this.sampleAndSave(tally, at);
    return this.queue;
  }

  /** Resolves once every read and write asked for so far is done (tests; stop() waits for it too). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** The newest broadcasts (of a channel or all), with their averages. */
  async list(channel: string | undefined, limit: number): Promise<AnalyticsSummary[]> {
    return (await this.deps.store.list(channel, limit)).map(withAverages);
  }

  /** One broadcast's figures and its viewers over time. */
  async get(broadcastId: string): Promise<AnalyticsDetail> {
    const s = await this.deps.store.get(broadcastId);
    if (!s) throw fail('LR_ANALYTICS_NOT_FOUND', { id: broadcastId });
    return { ...withAverages(s), samples: await this.deps.store.samples(broadcastId) };
  }

  private listen<K extends keyof LiveroomEvents & string>(event: K, fn: LiveroomEvents[K]) {
    this.deps.bus.on(event, fn);
    this.unsubscribe.push(() => this.deps.bus.off(event, fn));
  }

  private begin(channel: string, broadcastId: string, startedAt: number) {
    const tally = new BroadcastTally({ broadcastId, channel, startedAt, sampleIntervalMs: this.deps.config.sampleIntervalMs }, 0);
    this.tallies.set(broadcastId, tally);
    this.current.set(channel, tally);
    this.enqueue(tally, async () => {
      tally.likesAtStart = await this.deps.likes(channel);
      await this.deps.store.save(tally.summary);
    });
  }

  private end(broadcastId: string, at: number, status: 'complete' | 'interrupted') {
    const tally = this.tallies.get(broadcastId);
    if (!tally) return;
    this.tallies.delete(broadcastId);
    const { channel } = tally.summary;
    if (this.current.get(channel) === tally) this.current.delete(channel);
    this.sampleAndSave(tally, at, status);
  }

  /** A sample at `at` (the audience as it is now, the likes once read), closing the tally when `close` says how, then stored. */
  private sampleAndSave(tally: BroadcastTally, at: number, close?: 'complete' | 'interrupted') {
    const audience = this.deps.chatAudience(tally.summary.channel);
    this.enqueue(tally, async () => {
      const sample: ViewerSample = tally.sample(at, audience, await this.deps.likes(tally.summary.channel));
      if (close) tally.close(at, close);
      await this.deps.store.save(tally.summary, sample);
    });
  }

  private enqueue(tally: BroadcastTally, step: () => Promise<void>) {
    this.queue = this.queue.then(step).catch((err: unknown) => {
      this.deps.log.error({ broadcastId: tally.summary.broadcastId, err: (err as Error).message }, 'analytics not saved');
    });
  }
}
