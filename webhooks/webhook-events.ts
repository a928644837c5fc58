import type { WebhookEventType } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';

/** Which bus event each webhook event comes from, and the `data` it carries. */
export const WEBHOOK_SOURCES = {
  'stream.started': { from: 'broadcast:started', data: (e) => ({ channel: e.channel, broadcastId: e.broadcastId, startedAt: new Date(e.startedAt).toISOString() }) },
  'stream.ended': { from: 'broadcast:ended', data: (e) => ({ channel: e.channel, broadcastId: e.broadcastId, endedAt: new Date(e.endedAt).toISOString() }) },
  'recording.ready': {
    from: 'recording:ready',
    data: (e) => ({ ...e, startedAt: new Date(e.startedAt).toISOString(), endedAt: new Date(e.endedAt).toISOString() }),
  },
  'chat.moderation': { from: 'chat:moderation', data: (e) => ({ ...e, at: new Date(e.at).toISOString() }) },
} satisfies { [T in WebhookEventType]: WebhookSource };

type BusEvent = keyof LiveroomEvents & string;
type Payload<K extends BusEvent> = Parameters<LiveroomEvents[K]>[0];
type WebhookSource = { [K in BusEvent]: { from: K; data: (e: Payload<K>) => Record<string, unknown> } }[BusEvent];

/** What an endpoint receives: the body, JSON. */
export interface WebhookBody {
  /** The event's id: the same at every endpoint and in every retry (receivers drop repeats by it). */
  id: string;
  type: WebhookEventType;
  /** ISO 8601. */
  createdAt: string;
  data: Record<string, unknown>;
}
