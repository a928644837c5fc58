import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { fail } from '../core/errors';
import { isName } from '../core/names';
import { exportRecording } from '../recordings/recording-export';
import type { Recordings, RecordingView } from '../recordings/recordings';
import type { RecordingSettings } from '../storage/recording-store';
import { requireAdminToken } from './admin-token';
import { asyncRoute } from './http-errors';
import { replaySummary } from './replay-api-routes';

export interface RecordingAdminDeps {
  tokenHash: string;
  recordings: Recordings;
  channelExists(name: string): Promise<boolean>;
  ffmpegPath: string;
}

function parseSettings(b: unknown): RecordingSettings {
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw fail('LR_RECORDING_SETTINGS_INVALID', { problem: 'the body must be a JSON object' });
  const { enabled, renditions, ...rest } = b as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw fail('LR_RECORDING_SETTINGS_INVALID', { problem: `unknown field '${extra[0].slice(0, 32)}'` });
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') throw fail('LR_RECORDING_SETTINGS_INVALID', { problem: "'enabled' must be true, false or null" });
  const okList = Array.isArray(renditions) && renditions.length > 0 && renditions.length <= 32 && renditions.every(isName);
  if (renditions !== undefined && renditions !== null && renditions !== 'top' && renditions !== 'all' && !okList) {
    throw fail('LR_RECORDING_SETTINGS_INVALID', { problem: "'renditions' must be 'top', 'all', a list of rendition names, or null" });
  }
  return { enabled: (enabled as boolean | null | undefined) ?? null, renditions: (renditions as RecordingSettings['renditions'] | undefined) ?? null };
}

/**
 * The admin API's recordings, under /api/admin/recordings behind the admin
 * token: list, show, delete, export as one MP4, per-channel settings, and a
 * retention run on demand.
 */
export function recordingAdminRoutes({ tokenHash, recordings, channelExists, ffmpegPath }: RecordingAdminDeps): Router {
  const router = Router();
  router.use(requireAdminToken(tokenHash));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: '16kb' }));

  const channel = async (name: unknown) => {
    if (typeof name !== 'string' || !(await channelExists(name))) throw fail('LR_CHANNEL_NOT_FOUND', { channel: String(name).slice(0, 64) });
    return name;
  };
  const detail = async (r: RecordingView) => ({ ...replaySummary(r), bytes: r.bytes, status: r.status, stopped: r.stopped, renditionDetails: await recordings.renditions(r.id) });

  router.get('/', async (req, res) => {
    const only = req.query.channel === undefined ? undefined : await channel(req.query.channel);
    res.json({ recordings: (await recordings.list(only)).map((r) => ({ ...replaySummary(r), bytes: r.bytes, status: r.status, stopped: r.stopped })), writing: recordings.status() });
  });

  router.get('/settings/:channel', async (req, res) => {
    const name = await channel(req.params.channel);
    res.json({ channel: name, ...(await recordings.settings(name)) });
  });
  router.put('/settings/:channel', async (req, res) => {
    const name = await channel(req.params.channel);
    await recordings.setSettings(name, parseSettings(req.body));
    res.json({ channel: name, ...(await recordings.settings(name)), appliesTo: 'the next broadcast' });
  });

  router.post('/retention', asyncRoute(async (_req, res) => {
    res.json({ deleted: await recordings.applyRetention() });
  }));

  router.get('/:id', async (req, res) => {
    res.json(await detail(await recordings.get(String(req.params.id))));
  });

  router.delete('/:id', asyncRoute(async (req, res) => {
    const rec = await recordings.get(String(req.params.id));
    await recordings.delete(rec.id);
    res.json({ deleted: rec.id, channel: rec.channel, bytes: rec.bytes });
  }));

  // One progressive MP4 of a rendition (the first recorded by default), remuxed by ffmpeg, then sent with its length.
  router.get('/:id/export', asyncRoute(async (req, res) => {
    const rec = await recordings.get(String(req.params.id));
    if (recordings.isRecording(rec.id)) throw fail('LR_RECORDING_IN_PROGRESS', { id: rec.id, action: 'export' });
    const asked = typeof req.query.rendition === 'string' ? req.query.rendition : rec.renditions[0];
    const r = await recordings.rendition(rec, asked ?? '');
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const out = await exportRecording({
      id: rec.id,
      ffmpegPath,
      workDir: path.join(recordings.paths.root, '.exports'),
      renditionDir: recordings.paths.rendition(rec.channel, rec.id, r.name),
      segments: await recordings.segments(rec.id, r.name),
      signal: abort.signal,
    });
    try {
      const name = `${rec.channel}-${new Date(rec.startedAt).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${rec.id}-${r.name}.mp4`;
      res.set({ 'Content-Type': 'video/mp4', 'Content-Length': String(out.bytes), 'Content-Disposition': `attachment; filename="${name}"` });
      await new Promise<void>((resolve, reject) => {
        const stream = fs.createReadStream(out.file);
        stream.once('error', reject);
        res.once('close', resolve);
        stream.pipe(res);
      });
    } finally {
      await out.cleanup();
    }
  }));

  return router;
}
