import { Router, type Response } from 'express';
import type { HlsConfig } from '../core/config-schema';
import { fail, LiveroomError } from '../core/errors';
import { asyncRoute, sendError } from './http-errors';
import type { Packager } from '../packager/packager';
import type { MediaPlaylist } from '../packager/media-playlist';
import { parseMediaUri } from '../packager/media-uris';
import type { HeldRequests } from './held-requests';
import { IMMUTABLE } from './immutable-file';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** An ended broadcast's playlist: final, but kept short so a cache does not hold it for long after the window is gone. */
const IMMUTABLE_PLAYLIST = 'public, max-age=60';

function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw fail('LR_HLS_BAD_QUERY', { param: name, expected: 'a non-negative integer' });
  }
  return Number(value);
}

function send(res: Response, type: string, cache: string, body: string | Buffer) {
  res.set({ 'Content-Type': type, 'Cache-Control': cache });
  res.send(body);
}

/**
 * Our LL-HLS origin over HTTP: multivariant and media playlists with blocking
 * reload (_HLS_msn/_HLS_part), delta updates (_HLS_skip), and the init, part
 * and segment bytes. Parts and segments are immutable once served. Requests
 * that wait are held through `held` (per-address cap, released on disconnect).
 */
export function hlsRoutes(packager: Packager, hls: HlsConfig, held: HeldRequests): Router {
  const router = Router();
  const waitMs = (pl: MediaPlaylist) => hls.blockingTimeoutTargets * pl.targetDuration * 1000;

  const rendition = (channel: string, broadcast: string, name: string) => {
    const cp = packager.channel(channel);
    if (!cp?.hasBroadcast(broadcast)) throw fail('LR_HLS_NO_BROADCAST', { channel, broadcast });
    const pl = cp.playlist(broadcast, name);
    if (!pl?.init) throw fail('LR_HLS_NO_RENDITION', { channel, rendition: name });
    return { cp, pl };
  };

  router.get('/:channel/master.m3u8', (req, res) => {
    const text = packager.channel(req.params.channel)?.renderMultivariant();
    if (!text) return sendError(res, fail('LR_HLS_NOT_LIVE', { channel: req.params.channel }));
    send(res, PLAYLIST_TYPE, 'no-cache', text);
  });

  router.get(
    '/:channel/:broadcast/:rendition/index.m3u8',
    asyncRoute(async (req, res) => {
      const msn = intParam(req.query._HLS_msn, '_HLS_msn');
      const part = intParam(req.query._HLS_part, '_HLS_part');
      const skip = req.query._HLS_skip;
      if (part !== undefined && msn === undefined) throw fail('LR_HLS_PART_WITHOUT_MSN');
      if (skip !== undefined && skip !== 'YES' && skip !== 'v2') throw fail('LR_HLS_BAD_QUERY', { param: '_HLS_skip', expected: 'YES or v2' });
      const { channel, broadcast, rendition: name } = req.params as Record<string, string>;
      const { cp, pl } = rendition(channel, broadcast, name);
      let satisfied = true;
      if (msn !== undefined) {
        if (msn > pl.maxRequestableMsn) {
          throw fail('LR_HLS_MSN_TOO_FAR', { msn, last: pl.maxRequestableMsn - 2 });
        }
        satisfied = await held.hold(req, res, pl, { msn, part }, waitMs(pl));
        // While the publisher reconnects, the playlist as it stands (no ENDLIST): players keep polling instead of erroring.
        if (!satisfied && !pl.ended && !pl.paused) throw fail('LR_HLS_TIMEOUT', { what: `segment ${msn}${part !== undefined ? ` part ${part}` : ''}` });
      }
      const text = cp.renderMedia(broadcast, name, skip !== undefined)!;
      // A satisfied blocking response describes the playlist at that msn/part: an edge may keep it.
      // An ended playlist never changes again (its URIs are not reused).
      const cache = pl.ended ? IMMUTABLE_PLAYLIST : msn !== undefined && satisfied ? `public, max-age=${6 * pl.targetDuration}` : 'public, max-age=1';
      send(res, PLAYLIST_TYPE, cache, text);
    }),
  );

  router.get(
    '/:channel/:broadcast/:rendition/:file',
    asyncRoute(async (req, res) => {
      const { channel, broadcast, rendition: name, file } = req.params as Record<string, string>;
      const uri = parseMediaUri(file);
      if (!uri) throw fail('LR_HLS_NOT_FOUND', { file, known: false });
      const { kind, epoch, n } = uri;
      const { pl } = rendition(channel, broadcast, name);
      if (epoch !== packager.epoch) throw fail('LR_HLS_GONE');
      let bytes: Buffer | undefined;
      if (kind === 'init') bytes = pl.getInit(n);
      else if (kind === 'segment') bytes = pl.getSegment(n)?.bytes;
      else {
        bytes = pl.getPart(n)?.bytes;
        const next = pl.nextPartIdHint;
        // The preload hint: hold the request until the part is complete.
        if (!bytes && next !== undefined && n >= next && n <= next + 2) {
          const ok = await held.hold(req, res, pl, { partId: n }, waitMs(pl));
          bytes = pl.getPart(n)?.bytes;
          if (!ok && !bytes && !pl.ended) throw fail('LR_HLS_TIMEOUT', { what: `part ${n}` });
        }
      }
      if (!bytes) throw fail('LR_HLS_NOT_FOUND', { file, known: true });
      send(res, 'video/mp4', IMMUTABLE, bytes);
    }),
  );

  router.use((err: unknown, _req: unknown, res: Response, next: (e: unknown) => void) => {
    if (err instanceof LiveroomError) return sendError(res, err);
    next(err);
  });
  return router;
}
