import type { AnalyticsStore, BroadcastFigures, ViewerSample } from '../analytics-store';
import type { Db } from './sqlite-database';

interface Row {
  broadcast_id: string;
  channel: string;
  started_at: number;
  ended_at: number | null;
  status: BroadcastFigures['status'];
  sample_interval_ms: number;
  sampled_at: number;
  peak_viewers: number;
  watch_seconds: number;
  unique_viewers: number;
  messages: number;
  danmaku: number;
  chatters: number;
  likes: number;
  shares: number;
  renditions: string;
}

const fromRow = (r: Row): BroadcastFigures => ({
  broadcastId: r.broadcast_id,
  channel: r.channel,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  status: r.status,
  sampleIntervalMs: r.sample_interval_ms,
  sampledAt: r.sampled_at,
  peakViewers: r.peak_viewers,
  watchSeconds: r.watch_seconds,
  uniqueViewers: r.unique_viewers,
  messages: r.messages,
  danmaku: r.danmaku,
  chatters: r.chatters,
  likes: r.likes,
  shares: r.shares,
  renditions: JSON.parse(r.renditions) as BroadcastFigures['renditions'],
});

/** Broadcast analytics in SQLite: one summary row per broadcast, rewritten at each sample, and its samples. */
export class SqliteAnalyticsStore implements AnalyticsStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      upsert: db.prepare(
        `INSERT INTO broadcast_analytics (broadcast_id, channel, started_at, ended_at, status, sample_interval_ms, sampled_at, peak_viewers,
           watch_seconds, unique_viewers, messages, danmaku, chatters, likes, shares, renditions)
         VALUES (@broadcastId, @channel, @startedAt, @endedAt, @status, @sampleIntervalMs, @sampledAt, @peakViewers,
           @watchSeconds, @uniqueViewers, @messages, @danmaku, @chatters, @likes, @shares, @renditions)
         ON CONFLICT (broadcast_id) DO UPDATE SET ended_at = excluded.ended_at, status = excluded.status, sampled_at = excluded.sampled_at,
           peak_viewers = excluded.peak_viewers, watch_seconds = excluded.watch_seconds, unique_viewers = excluded.unique_viewers,
           messages = excluded.messages, danmaku = excluded.danmaku, chatters = excluded.chatters, likes = excluded.likes,
           shares = excluded.shares, renditions = excluded.renditions`,
      ),
      addSample: db.prepare('INSERT OR REPLACE INTO broadcast_analytics_samples (broadcast_id, at, hls, chat, viewers) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM broadcast_analytics WHERE broadcast_id = ?'),
      listAll: db.prepare('SELECT * FROM broadcast_analytics ORDER BY started_at DESC LIMIT ?'),
      listChannel: db.prepare('SELECT * FROM broadcast_analytics WHERE channel = ? ORDER BY started_at DESC LIMIT ?'),
      samples: db.prepare('SELECT at, hls, chat, viewers FROM broadcast_analytics_samples WHERE broadcast_id = ? ORDER BY at'),
      closeInterrupted: db.prepare("UPDATE broadcast_analytics SET status = 'interrupted', ended_at = sampled_at WHERE status = 'live'"),
    };
  }

  async save(summary: BroadcastFigures, sample?: ViewerSample): Promise<void> {
    this.db.transaction(() => {
      this.q.upsert.run({ ...summary, renditions: JSON.stringify(summary.renditions) });
      if (sample) this.q.addSample.run(summary.broadcastId, sample.at, sample.hls, sample.chat, sample.viewers);
    })();
  }

  async get(broadcastId: string): Promise<BroadcastFigures | undefined> {
    const row = this.q.get.get(broadcastId) as Row | undefined;
    return row && fromRow(row);
  }

  async list(channel: string | undefined, limit: number): Promise<BroadcastFigures[]> {
    const rows = (channel === undefined ? this.q.listAll.all(limit) : this.q.listChannel.all(channel, limit)) as Row[];
    return rows.map(fromRow);
  }

  async samples(broadcastId: string): Promise<ViewerSample[]> {
    return this.q.samples.all(broadcastId) as ViewerSample[];
  }

  async closeInterrupted(): Promise<number> {
    return this.q.closeInterrupted.run().changes;
  }
}
