import { SHARE_METHODS, type ShareCounts, type ShareMethod, type ShareStore } from '../share-store';
import type { PgPool } from './postgres-database';

/** Share counts in PostgreSQL: one row per channel, broadcast ('' when none was live) and method; `add` is one upsert. */
export class PostgresShareStore implements ShareStore {
  constructor(private readonly pool: PgPool) {}

  async add(channel: string, broadcastId: string | null, method: ShareMethod): Promise<void> {
    await this.pool.query(
      `INSERT INTO channel_shares (channel, broadcast, method, total) VALUES ($1, $2, $3, 1)
       ON CONFLICT (channel, broadcast, method) DO UPDATE SET total = channel_shares.total + 1`,
      [channel, broadcastId ?? '', method],
    );
  }

  async counts(channel: string, broadcastId?: string): Promise<ShareCounts> {
    const { rows } =
      broadcastId === undefined
        ? await this.pool.query<{ method: ShareMethod; total: number }>(
            'SELECT method, SUM(total)::bigint AS total FROM channel_shares WHERE channel = $1 GROUP BY method',
            [channel],
          )
        : await this.pool.query<{ method: ShareMethod; total: number }>('SELECT method, total FROM channel_shares WHERE channel = $1 AND broadcast = $2', [
            channel,
            broadcastId,
          ]);
    const byMethod = Object.fromEntries(SHARE_METHODS.map((m) => [m, 0])) as Record<ShareMethod, number>;
    for (const r of rows) byMethod[r.method] = r.total;
    return { total: rows.reduce((a, r) => a + r.total, 0), byMethod };
  }
}
