import crypto from 'node:crypto';
import type { WebhookConfig, WebhookDeliveryConfig, WebhookEventType } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import type { WebhookAttemptStore } from '../storage/webhook-attempt-store';
import { WEBHOOK_SOURCES, type WebhookBody } from './webhook-events';
import { sendWebhook } from './webhook-sender';
import { displayWebhookUrl } from './webhook-url';

export interface WebhooksDeps {
  endpoints: readonly WebhookConfig[];
  delivery: WebhookDeliveryConfig;
  bus: TypedEmitter<LiveroomEvents>;
  /** The delivery log: every attempt. */
  store: WebhookAttemptStore;
  log: Logger;
  clock?: () => number;
}

interface Delivery {
  id: string;
  endpoint: WebhookConfig;
  eventId: string;
  type: WebhookEventType;
  body: string;
  attempt: number;
}

const newId = (prefix: string) => `${prefix}_${crypto.randomBytes(12).toString('base64url')}`;

/**
 * Tells the configured endpoints of stream, recording and moderation events:
 * one signed POST per event and endpoint, retried with exponential backoff
 * ('webhookDelivery.retryBaseMs', doubling) until a 2xx or
 * 'webhookDelivery.maxAttempts'; every attempt goes to the delivery log.
 * stop() unsubscribes, drops the retries still waiting, gives attempts in
 * flight a bounded grace and then aborts them: shutdown never waits on an
 * endpoint.
 */
export class Webhooks {
  private readonly unsubscribe: (() => void)[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborts the attempts in flight once stop()'s grace is over. */
  private readonly abort = new AbortController();
  /** stop() has begun: no new events, no more retries. */
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly deps: WebhooksDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  start(): void {
    if (this.deps.endpoints.length === 0) return;
    for (const [type, source] of Object.entries(WEBHOOK_SOURCES) as [WebhookEventType, (typeof WEBHOOK_SOURCES)[WebhookEventType]][]) {
      // Each source's `data` takes its own bus event's payload (checked in webhook-events.ts).
      const fn = ((e: never) => this.emit(type, (source.data as (e: never) => Record<string, unknown>)(e))) as never;
      this.deps.bus.on(source.from, fn);
      this.unsubscribe.push(() => this.deps.bus.off(source.from, fn));
    }
  }

  /** Resolves once nothing is left running: retries dropped, attempts in flight done or aborted after `graceMs`. */
  async stop(graceMs = 1000): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    const settled = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await settled;
  }

  /** One event to every endpoint that takes it. */
  private emit(type: WebhookEventType, data: Record<string, unknown>) {
    if (this.stopped) return;
    const body: WebhookBody = { id: newId('evt'), type, createdAt: new Date(this.clock()).toISOString(), data };
    const text = JSON.stringify(body);
    for (const endpoint of this.deps.endpoints) {
      if (endpoint.events && !endpoint.events.includes(type)) continue;
      this.attempt({ id: newId('dlv'), endpoint, eventId: body.id, type, body: text, attempt: 1 });
    }
  }

  private attempt(d: Delivery) {
    const { delivery, store, log } = this.deps;
    const at = this.clock();
    const run = sendWebhook({
      url: d.endpoint.url,
      secret: d.endpoint.secret,
      event: d.type,
      deliveryId: d.id,
      body: d.body,
      timeoutMs: delivery.timeoutMs,
      signal: this.abort.signal,
      now: this.clock,
    }).then(async (result) => {
      try {
        await store.add({ deliveryId: d.id, eventId: d.eventId, event: d.type, url: displayWebhookUrl(d.endpoint.url), attempt: d.attempt, ...result, at }, delivery.logRetention);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'webhook attempt not logged');
      }
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      if (ok) return;
      const last = d.attempt >= delivery.maxAttempts || this.stopped;
      const why = result.error ?? `HTTP ${result.status}`;
      log[last ? 'warn' : 'info']({ url: displayWebhookUrl(d.endpoint.url), event: d.type, delivery: d.id, attempt: d.attempt, why }, last ? 'webhook not delivered: giving up' : 'webhook attempt failed: will retry');
      if (last) return;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.attempt({ ...d, attempt: d.attempt + 1 });
      }, delivery.retryBaseMs * 2 ** (d.attempt - 1));
      this.retries.add(timer);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }
}
