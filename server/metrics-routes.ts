import { Router } from 'express';
import { fail } from '../core/errors';
import { hashSecret } from '../core/secrets';
import { parseMediaUri } from '../packager/media-uris';
import { requireBearer } from './admin-token';
import { asyncRoute } from './http-errors';
import type { HlsRequestKind, Metrics } from './metrics';

/** GET /metrics: the Prometheus text format; behind 'metrics.token' when it is set. */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  if (token !== undefined) router.use(requireBearer(hashSecret(token), 'liveroom-metrics', (given) => fail('LR_METRICS_UNAUTHORIZED', { given })));
  router.get(
    '/',
    asyncRoute(async (_req, res) => {
      const { contentType, body } = await metrics.exposition();
      res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      res.send(body);
    }),
  );
  return router;
}

/** What a request under /hls asks for, from its path (relative to /hls; or its non-empty segments) and query. */
export function hlsRequestKind(path: string | readonly string[], query: Record<string, unknown>): HlsRequestKind {
  const parts = typeof path === 'string' ? path.split('/').filter((p) => p !== '') : path;
  if (parts.length === 2 && parts[1] === 'master.m3u8') return 'multivariant';
  if (parts.length !== 4) return 'other';
  if (parts[3] === 'index.m3u8') return query._HLS_msn !== undefined ? 'blocking-playlist' : 'playlist';
  return parseMediaUri(parts[3])?.kind ?? 'other';
}
