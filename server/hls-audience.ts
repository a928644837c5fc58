import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { BroadcastAnalytics } from '../analytics/broadcast-analytics';
import { hlsRequestOf } from './metrics-routes';

/**
 * Under /hls, before the HLS routes: every playlist, init, part or segment
 * request counts its client address as an HLS viewer of the channel, and each
 * part or segment served (200) adds to its rendition's requests and bytes.
 */
export function hlsAudience(analytics: BroadcastAnalytics, clientAddress: (req: IncomingMessage) => string): RequestHandler {
  return (req, res, next) => {
    const { kind, channel, rendition } = hlsRequestOf(req, res);
    if (kind !== 'other' && channel !== undefined) {
      analytics.hlsRequest(channel, clientAddress(req));
      if ((kind === 'part' || kind === 'segment') && rendition !== undefined) {
        res.once('finish', () => {
          if (res.statusCode === 200) analytics.mediaServed(channel, rendition, Number(res.get('content-length')) || 0);
        });
      }
    }
    next();
  };
}
