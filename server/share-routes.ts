import type http from 'node:http';
import express, { Router } from 'express';
import { KeyedRateLimiter } from '../chat/rate-limiter';
import type { SharesConfig } from '../core/config-schema';
import { fail } from '../core/errors';
import type { ChannelShared } from '../core/events';
import { SHARE_METHODS, type ShareMethod } from '../storage/share-store';

export interface ShareRouteDeps {
  config: SharesConfig;
  channelExists(name: string): Promise<boolean>;
  /** Counts the share (the store, the broadcast on air, the bus); returns what was counted. */
  count(channel: string, method: ShareMethod): Promise<ChannelShared>;
  clientAddress(req: http.IncomingMessage): string;
}

/** Idle addresses' buckets are forgotten at most this often (on a request: no timer to stop). */
const SWEEP_MS = 10_000;

/**
 * `POST /api/channels/<c>/shares` with `{ "method": "native" | "copy" | "embed" }`:
 * the watch page reports a share once the share sheet resolved or the copy
 * succeeded. Per address, a token bucket ('shares.burstPerAddress',
 * 'shares.perMinutePerAddress'); past it, 429 and nothing is counted.
 */
export function shareRoutes({ config, channelExists, count, clientAddress }: ShareRouteDeps): Router {
  const router = Router();
  const limiter = new KeyedRateLimiter(config.burstPerAddress, config.perMinutePerAddress / 60);
  let sweptAt = Date.now();

  router.post('/:channel/shares', express.json({ limit: '1kb' }), async (req, res) => {
    const channel = req.params.channel;
    if (!(await channelExists(channel))) throw fail('LR_CHANNEL_NOT_FOUND', { channel: channel.slice(0, 64) });
    const method: unknown = (req.body as { method?: unknown } | undefined)?.method;
    if (typeof method !== 'string' || !SHARE_METHODS.includes(method as ShareMethod)) throw fail('LR_SHARE_INVALID');
    if (Date.now() - sweptAt > SWEEP_MS) {
      limiter.sweep();
      sweptAt = Date.now();
    }
    if (!limiter.take(clientAddress(req))) throw fail('LR_SHARE_TOO_MANY', { perMinute: config.perMinutePerAddress });
    res.status(201).set('Cache-Control', 'no-store').json(await count(channel, method as ShareMethod));
  });

  return router;
}
