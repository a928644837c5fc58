import crypto from 'node:crypto';

/**
 * X-Liveroom-Signature: `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`
 * with the endpoint's secret, where the timestamp is X-Liveroom-Timestamp
 * (seconds since the epoch). Signing the timestamp lets a receiver refuse a
 * replayed request; signing the raw body means it must check before parsing.
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (the README's snippet): constant-time comparison, and a timestamp no older than `toleranceSeconds`. */
export function verifyWebhook(secret: string, signature: string, timestamp: string, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  const fresh = Math.abs(now / 1000 - Number(timestamp)) <= toleranceSeconds;
  return fresh && given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
