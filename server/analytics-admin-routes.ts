import { Router } from 'express';
import type { BroadcastAnalytics } from '../analytics/broadcast-analytics';
import { fail } from '../core/errors';
import { requireAdminToken } from './admin-token';

export interface AnalyticsAdminDeps {
  tokenHash: string;
  analytics: BroadcastAnalytics;
  channelExists(name: string): Promise<boolean>;
}

/**
 * Broadcast analytics under /api/admin/analytics, behind the admin token:
 * GET /?channel=&limit= (newest first) and GET /<broadcastId> with its viewers samples.
 */
export function analyticsAdminRoutes({ tokenHash, analytics, channelExists }: AnalyticsAdminDeps): Router {
  const router = Router();
  router.use(requireAdminToken(tokenHash));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get('/', async (req, res) => {
    const { channel, limit = '20' } = req.query;
    if (channel !== undefined && (typeof channel !== 'string' || !(await channelExists(channel)))) throw fail('LR_CHANNEL_NOT_FOUND', { channel: String(channel).slice(0, 64) });
    if (typeof limit !== 'string' || !/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 500) {
      throw fail('LR_BAD_REQUEST', { problem: "'limit' must be a whole number from 1 to 500" });
    }
    res.json({ broadcasts: await analytics.list(channel, Number(limit)) });
  });
  router.get('/:id', async (req, res) => {
    res.json(await analytics.get(String(req.params.id).slice(0, 64)));
  });
  return router;
}
