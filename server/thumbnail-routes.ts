import fs from 'node:fs';
import { Router } from 'express';
import { fail } from '../core/errors';
import { asyncRoute } from './http-errors';

export interface ThumbnailRouteDeps {
  channelExists(name: string): Promise<boolean>;
  live(name: string): boolean;
  /** The live thumbnail held in memory (recordings/live-thumbnails.ts), if made. */
  liveJpeg(name: string): Buffer | undefined;
  /** The newest recording's thumbnail file, if one has one. */
  recordedJpeg(name: string): Promise<string | undefined>;
  /** 'thumbnails.intervalMs': how long a live one may be cached. */
  intervalMs: number;
}

/**
 * `GET /api/channels/<c>/thumbnail.jpg`: while live, the JPEG made from the
 * latest segment (every viewer and link preview gets the same bytes, cached
 * for one interval); offline, the latest recording's; otherwise 404
 * LR_THUMBNAIL_UNAVAILABLE.
 */
export function thumbnailRoutes(deps: ThumbnailRouteDeps): Router {
  const router = Router();
  router.get(
    '/:channel/thumbnail.jpg',
    asyncRoute(async (req, res) => {
      const channel = req.params.channel as string;
      if (!(await deps.channelExists(channel))) throw fail('LR_CHANNEL_NOT_FOUND', { channel: channel.slice(0, 64) });
      const live = deps.live(channel);
      const file = live ? undefined : await deps.recordedJpeg(channel);
      const jpeg = live ? deps.liveJpeg(channel) : file && (await fs.promises.readFile(file).catch(() => undefined));
      if (!jpeg) throw fail('LR_THUMBNAIL_UNAVAILABLE', { channel, live });
      // The same URL shows a newer picture soon (live) or another recording's later: cached briefly, never immutable.
      res.set({ 'Content-Type': 'image/jpeg', 'Cache-Control': `public, max-age=${Math.max(1, Math.floor(deps.intervalMs / 1000))}` }).send(jpeg);
    }),
  );
  return router;
}
