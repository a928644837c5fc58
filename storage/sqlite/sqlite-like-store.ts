import type { LikeStore } from '../like-store';
import type { Db } from './sqlite-database';

/** Like totals per channel in SQLite; `add` is one atomic upsert, so several processes can share it. */
export class SqliteLikeStore implements LikeStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      add: db.prepare(
        `INSERT INTO chat_likes (channel, total) VALUES (?, ?)
         ON CONFLICT(channel) DO UPDATE SET total = total + excluded.total RETURNING total`,
      ),
      total: db.prepare('SELECT total FROM chat_likes WHERE channel = ?'),
    };
  }

  async add(channel: string, delta: number): Promise<number> {
    return (this.q.add.get(channel, delta) as { total: number }).total;
  }

  async total(channel: string): Promise<number> {
    return (this.q.total.get(channel) as { total: number } | undefined)?.total ?? 0;
  }
}
