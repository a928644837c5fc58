import type { LikeStore } from '../like-store';
import type { PgPool } from './postgres-database';

/** Like totals per channel in PostgreSQL; `add` is one atomic upsert, so every node adds to the same total. */
export class PostgresLikeStore implements LikeStore {
  constructor(private readonly pool: PgPool) {}

  async add(channel: string, delta: number): Promise<number> {
    const { rows } = await this.pool.query<{ total: number }>(
      `INSERT INTO chat_likes (channel, total) VALUES ($1, $2)
       ON CONFLICT (channel) DO UPDATE SET total = chat_likes.total + EXCLUDED.total RETURNING total`,
      [channel, delta],
    );
    return rows[0].total;
  }

  async total(channel: string): Promise<number> {
    return (await this.pool.query<{ total: number }>('SELECT total FROM chat_likes WHERE channel = $1', [channel])).rows[0]?.total ?? 0;
  }
}
