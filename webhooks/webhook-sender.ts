import { webhookSignature } from './webhook-signature';

export interface AttemptResult {
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  event: string;
  deliveryId: string;
  body: string;
  timeoutMs: number;
  /** Aborted when the server stops. */
  signal: AbortSignal;
  now(): number;
}

/** One POST of a webhook: signed with a fresh timestamp, bounded by `timeoutMs`, redirects not followed, the answer's body not read. */
export async function sendWebhook(req: WebhookRequest): Promise<AttemptResult> {
  const started = req.now();
  const timestamp = String(Math.floor(started / 1000));
  const timeout = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.any([timeout, req.signal]),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'liveroom-webhooks',
        'X-Liveroom-Event': req.event,
        'X-Liveroom-Delivery': req.deliveryId,
        'X-Liveroom-Timestamp': timestamp,
        'X-Liveroom-Signature': webhookSignature(req.secret, timestamp, req.body),
      },
      body: req.body,
    });
    await res.body?.cancel().catch(() => {});
    return { status: res.status, error: null, durationMs: req.now() - started };
  } catch (err) {
    const error = timeout.aborted
      ? `timeout after ${req.timeoutMs} ms`
      : req.signal.aborted
        ? 'server stopping'
        : describe(err);
    return { status: null, error, durationMs: req.now() - started };
  }
}

/** fetch's "fetch failed" says nothing: its cause has the code (ECONNREFUSED, ENOTFOUND). */
function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return (cause?.code ?? cause?.message ?? (err as Error).message ?? String(err)).slice(0, 200);
}
