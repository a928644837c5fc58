import { Router, type Request, type RequestHandler, type Response } from 'express';
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

/** What a request under /hls asks for, from its path (relative to /hls) and query. */
export function hlsRequestKind(path: string, query: Record<string, unknown>): HlsRequestKind {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 2 && parts[1] === 'master.m3u8') return 'multivariant';
  if (parts.length !== 4) return 'other';
  if (parts[3] === 'index.m3u8') return query._HLS_msn !== undefined ? 'blocking-playlist' : 'playlist';
  return parseMediaUri(parts[3])?.kind ?? 'other';
}

export interface HlsRequest {
  kind: HlsRequestKind;
  channel: string | undefined;
  rendition: string | undefined;
}

/**
 * What a request under /hls asks for, classified once per request (kept in
 * res.locals) for the middlewares that look at it: metrics, analytics.
 */
export function hlsRequestOf(req: Request, res: Response): HlsRequest {
  const known = res.locals.hlsRequest as HlsRequest | undefined;
  if (known) return known;
  const [channel, , rendition] = req.path.split('/').filter((p) => p !== '');
  const request: HlsRequest = { kind: hlsRequestKind(req.path, req.query), channel, rendition };
  res.locals.hlsRequest = request;
  return request;
}

/** Times every /hls request until its response is done (or the client gone: status 'aborted'). */
export function hlsRequestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const { kind } = hlsRequestOf(req, res);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHlsRequest(kind, res.writableFinished ? String(res.statusCode) : 'aborted', seconds);
    });
    next();
  };
}
