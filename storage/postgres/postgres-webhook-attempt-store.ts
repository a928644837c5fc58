import type { WebhookAttempt, WebhookAttemptStore } from '../webhook-attempt-store';
import { inTransaction, type PgPool } from './postgres-database';

interface Row {
  delivery_id: string;
  event_id: string;
  event: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  at: number;
}

/** The webhook delivery log in PostgreSQL: one row per attempt, the oldest pruned as new ones come. */
export class PostgresWebhookAttemptStore implements WebhookAttemptStore {
  constructor(private readonly pool: PgPool) {}

  async add(a: WebhookAttempt, keep: number): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ seq: number }>(
        `INSERT INTO webhook_attempts (delivery_id, event_id, event, url, attempt, status, error, duration_ms, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`,
        [a.deliveryId, a.eventId, a.event, a.url, a.attempt, a.status, a.error, a.durationMs, a.at],
      );
      // Sequences have gaps (rolled-back inserts): keep the newest `keep` rows by order, not by arithmetic.
      await tx.query('DELETE FROM webhook_attempts WHERE seq <= $1 AND seq NOT IN (SELECT seq FROM webhook_attempts ORDER BY seq DESC LIMIT $2)', [rows[0].seq, keep]);
    });
  }

  async list(limit: number): Promise<WebhookAttempt[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM webhook_attempts ORDER BY seq DESC LIMIT $1', [limit]);
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      eventId: r.event_id,
      event: r.event,
      url: r.url,
      attempt: r.attempt,
      status: r.status,
      error: r.error,
      durationMs: r.duration_ms,
      at: r.at,
    }));
  }
}
