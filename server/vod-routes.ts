import fs from 'node:fs';
import { Router, type Response } from 'express';
import { fail, LiveroomError } from '../core/errors';
import { isName } from '../core/names';
import type { Recordings } from '../recordings/recordings';
import { parseRecordingFile } from '../recordings/recording-paths';
import { renderVodMedia, renderVodMultivariant } from '../recordings/vod-playlist';
import { asyncRoute, sendError } from './http-errors';
import { sendImmutableFile } from './immutable-file';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

/**
 * Replays over HTTP: a recording's multivariant playlist at
 * /vod/<channel>/<id>/master.m3u8, each recorded rendition's playlist at
 * /vod/<channel>/<id>/<rendition>/index.m3u8 (VOD once the broadcast is over,
 * EVENT while it is on air) and its init segments and segments beside it,
 * read from the recordings folder. Media files never change: immutable.
 */
export function vodRoutes(recordings: Recordings): Router {
  const router = Router();

  const recording = (channel: string, id: string) => {
    if (!isName(channel)) throw fail('LR_RECORDING_NOT_FOUND', { id: String(id).slice(0, 64), channel: String(channel).slice(0, 64) });
    return recordings.get(id, channel);
  };
  const playlist = (res: Response, finished: boolean, body: string) => {
    // A finished recording's playlists never change; one still on air grows with each segment.
    res.set({ 'Content-Type': PLAYLIST_TYPE, 'Cache-Control': finished ? 'public, max-age=300' : 'no-cache' });
    res.send(body);
  };

  router.get('/:channel/:id/master.m3u8', async (req, res) => {
    const rec = await recording(req.params.channel, req.params.id);
    const renditions = await recordings.renditions(rec.id);
    if (!renditions.some((r) => r.segments > 0)) throw fail('LR_RECORDING_NOT_FOUND', { id: rec.id, channel: rec.channel });
    playlist(res, !recordings.isRecording(rec.id), renderVodMultivariant(renditions));
  });

  router.get('/:channel/:id/:rendition/index.m3u8', async (req, res) => {
    const rec = await recording(req.params.channel, req.params.id);
    const r = await recordings.rendition(rec, req.params.rendition);
    const finished = !recordings.isRecording(rec.id);
    playlist(res, finished, renderVodMedia(await recordings.segments(rec.id, r.name), finished));
  });

  router.get(
    '/:channel/:id/:rendition/:file',
    asyncRoute(async (req, res) => {
      const { channel, id, rendition, file } = req.params as Record<string, string>;
      const rec = await recording(channel, id);
      const r = await recordings.rendition(rec, rendition);
      if (!parseRecordingFile(file)) throw fail('LR_HLS_NOT_FOUND', { file: file.slice(0, 64), known: false });
      const full = recordings.paths.file(rec.channel, rec.id, r.name, file);
      const stat = await fs.promises.stat(full).catch(() => undefined);
      if (!stat?.isFile()) throw fail('LR_HLS_NOT_FOUND', { file, known: true });
      await sendImmutableFile(res, full, 'video/mp4');
    }),
  );

  router.use((err: unknown, _req: unknown, res: Response, next: (e: unknown) => void) => {
    if (err instanceof LiveroomError) return sendError(res, err);
    next(err);
  });
  return router;
}
