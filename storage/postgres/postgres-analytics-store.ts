import type { AnalyticsStore, BroadcastFigures, ViewerSample } from '../analytics-store';
import { inTransaction, type PgPool } from './postgres-database';

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
  renditions: BroadcastFigures['renditions'];
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
  renditions: r.renditions,
});

/** Broadcast analytics in PostgreSQL: one summary row per broadcast, rewritten at each sample, and its samples. */
export class PostgresAnalyticsStore implements AnalyticsStore {
  constructor(private readonly pool: PgPool) {}

  async save(s: BroadcastFigures, sample?: ViewerSample): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO broadcast_analytics (broadcast_id, channel, started_at, ended_at, status, sample_interval_ms, sampled_at, peak_viewers,
           watch_seconds, unique_viewers, messages, danmaku, chatters, likes, shares, renditions)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (broadcast_id) DO UPDATE SET ended_at = EXCLUDED.ended_at, status = EXCLUDED.status, sampled_at = EXCLUDED.sampled_at,
           peak_viewers = EXCLUDED.peak_viewers, watch_seconds = EXCLUDED.watch_seconds, unique_viewers = EXCLUDED.unique_viewers,
           messages = EXCLUDED.messages, danmaku = EXCLUDED.danmaku, chatters = EXCLUDED.chatters, likes = EXCLUDED.likes,
           shares = EXCLUDED.shares, renditions = EXCLUDED.renditions`,
        [
          s.broadcastId, s.channel, s.startedAt, s.endedAt, s.status, s.sampleIntervalMs, s.sampledAt, s.peakViewers,
          s.watchSeconds, s.uniqueViewers, s.messages, s.danmaku, s.chatters, s.likes, s.shares, JSON.stringify(s.renditions),
        ],
      );
      if (sample) {
        await tx.query(
          `INSERT INTO broadcast_analytics_samples (broadcast_id, at, hls, chat, viewers) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (broadcast_id, at) DO UPDATE SET hls = EXCLUDED.hls, chat = EXCLUDED.chat, viewers = EXCLUDED.viewers`,
          [s.broadcastId, sample.at, sample.hls, sample.chat, sample.viewers],
        );
      }
    });
  }

  async get(broadcastId: string): Promise<BroadcastFigures | undefined> {
    const row = (await this.pool.query<Row>('SELECT * FROM broadcast_analytics WHERE broadcast_id = $1', [broadcastId])).rows[0];
    return row && fromRow(row);
  }

  async list(channel: string | undefined, limit: number): Promise<BroadcastFigures[]> {
    const { rows } =
      channel === undefined
        ? await this.pool.query<Row>('SELECT * FROM broadcast_analytics ORDER BY started_at DESC LIMIT $1', [limit])
        : await this.pool.query<Row>('SELECT * FROM broadcast_analytics WHERE channel = $1 ORDER BY started_at DESC LIMIT $2', [channel, limit]);
    return rows.map(fromRow);
  }

  async samples(broadcastId: string): Promise<ViewerSample[]> {
    return (await this.pool.query<ViewerSample>('SELECT at, hls, chat, viewers FROM broadcast_analytics_samples WHERE broadcast_id = $1 ORDER BY at', [broadcastId])).rows;
  }

  async closeInterrupted(): Promise<number> {
    return (await this.pool.query("UPDATE broadcast_analytics SET status = 'interrupted', ended_at = sampled_at WHERE status = 'live'")).rowCount ?? 0;
  }
}
