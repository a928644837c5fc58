import { Router } from 'express';
import { fail } from '../core/errors';
import type { WebhookAttemptStore } from '../storage/webhook-attempt-store';
import { requireAdminToken } from './admin-token';

/** The webhook delivery log under /api/admin/webhooks, behind the admin token: GET /deliveries?limit=N, newest first. */
export function webhookAdminRoutes({ tokenHash, attempts }: { tokenHash: string; attempts: WebhookAttemptStore }): Router {
  const router = Router();
  router.use(requireAdminToken(tokenHash));
  router.get('/deliveries', async (req, res) => {
    const raw = req.query.limit ?? '50';
    if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) {
      throw fail('LR_BAD_REQUEST', { problem: "'limit' must be a whole number from 1 to 1000" });
    }
    res.set('Cache-Control', 'no-store');
    res.json({ deliveries: await attempts.list(Number(raw)) });
  });
  return router;
}
