import { SHARE_METHODS, type ShareCounts, type ShareMethod, type ShareStore } from '../share-store';
import type { Db } from './sqlite-database';

/** Share counts in SQLite: one row per channel, broadcast ('' when none was live) and method; `add` is one upsert. */
export class SqliteShareStore implements ShareStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      add: db.prepare(
        `INSERT INTO channel_shares (channel, broadcast, method, total) VALUES (?, ?, ?, 1)
         ON CONFLICT(channel, broadcast, method) DO UPDATE SET total = total + 1`,
      ),
      channel: db.prepare('SELECT method, SUM(total) AS total FROM channel_shares WHERE channel = ? GROUP BY method'),
      broadcast: db.prepare('SELECT method, total FROM channel_shares WHERE channel = ? AND broadcast = ?'),
    };
  }

  async add(channel: string, broadcastId: string | null, method: ShareMethod): Promise<void> {
    this.q.add.run(channel, broadcastId ?? '', method);
  }

  async counts(channel: string, broadcastId?: string): Promise<ShareCounts> {
    const rows = (broadcastId === undefined ? this.q.channel.all(channel) : this.q.broadcast.all(channel, broadcastId)) as { method: ShareMethod; total: number }[];
    const byMethod = Object.fromEntries(SHARE_METHODS.map((m) => [m, 0])) as Record<ShareMethod, number>;
    for (const r of rows) byMethod[r.method] = r.total;
    return { total: rows.reduce((a, r) => a + r.total, 0), byMethod };
  }
}
