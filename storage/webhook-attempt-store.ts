/** One attempt at delivering one webhook event to one endpoint. */
export interface WebhookAttempt {
  /** The same for every attempt of one event at one endpoint (X-Liveroom-Delivery). */
  deliveryId: string;
  /** The event's id (the body's `id`), the same for every endpoint. */
  eventId: string;
  event: string;
  url: string;
  /** 1 for the first try. */
  attempt: number;
  /** The endpoint's HTTP status, or null when it gave none (timeout, refused connection, server stopping). */
  status: number | null;
  /** Why there was no 2xx when there was no status to say it: 'timeout after 5000 ms', 'ECONNREFUSED'. */
  error: string | null;
  durationMs: number;
  /** When the attempt began, ms since the epoch. */
  at: number;
}

/** The webhook delivery log. The embedded implementation is storage/sqlite/sqlite-webhook-attempt-store.ts. */
export interface WebhookAttemptStore {
  /** Adds an attempt and deletes the oldest beyond the newest `keep`. */
  add(attempt: WebhookAttempt, keep: number): Promise<void>;
  /** The newest attempts first. */
  list(limit: number): Promise<WebhookAttempt[]>;
}
