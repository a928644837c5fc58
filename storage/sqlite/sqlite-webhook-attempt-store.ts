import type { WebhookAttempt, WebhookAttemptStore } from '../webhook-attempt-store';
import type { Db } from './sqlite-database';

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

/** The webhook delivery log in SQLite: one row per attempt, the oldest pruned as new ones come. */
export class SqliteWebhookAttemptStore implements WebhookAttemptStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      add: db.prepare(
        `INSERT INTO webhook_attempts (delivery_id, event_id, event, url, attempt, status, error, duration_ms, at)
         VALUES (@deliveryId, @eventId, @event, @url, @attempt, @status, @error, @durationMs, @at)`,
      ),
      prune: db.prepare('DELETE FROM webhook_attempts WHERE seq <= ?'),
      list: db.prepare('SELECT * FROM webhook_attempts ORDER BY seq DESC LIMIT ?'),
    };
  }

  async add(attempt: WebhookAttempt, keep: number): Promise<void> {
    this.db.transaction(() => {
      const seq = Number(this.q.add.run(attempt).lastInsertRowid);
      if (seq > keep) this.q.prune.run(seq - keep);
    })();
  }

  async list(limit: number): Promise<WebhookAttempt[]> {
    return (this.q.list.all(limit) as Row[]).map((r) => ({
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
