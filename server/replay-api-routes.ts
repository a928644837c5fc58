import { Router } from 'express';
import type { ChatMessage } from '../chat/chat-events';
import { fail } from '../core/errors';
import type { Recordings, RecordingView } from '../recordings/recordings';
import type { ReplayList, ReplayMessages, ReplaySummary } from '../recordings/replay-types';
import { asyncRoute } from './http-errors';
import { sendImmutableFile } from './immutable-file';

/** Messages one replay answer holds at most. */
export const REPLAY_MESSAGE_LIMIT = 50_000;

export interface ReplayApiDeps {
  recordings: Recordings;
  channelExists(name: string): Promise<boolean>;
  /** A channel's chat messages from `from` to `to` (ms), oldest first, at most `limit`. */
  messagesBetween(channel: string, from: number, to: number, limit: number): Promise<ChatMessage[]>;
}

export function replaySummary(r: RecordingView): ReplaySummary {
  return {
    id: r.id,
    channel: r.channel,
    title: r.title,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    duration: r.duration,
    renditions: r.renditions,
    peakViewers: r.peakViewers,
    messages: r.messages,
    likes: r.likes,
    playlist: `/vod/${r.channel}/${r.id}/master.m3u8`,
    page: `/watch/${r.channel}/replays/${r.id}`,
    thumbnail: r.thumbnail ? `/api/channels/${r.channel}/replays/${r.id}/thumbnail.jpg` : null,
  };
}

/**
 * The public replay API under /api/channels: a channel's past broadcasts
 * (newest first; `?before=<ms>` pages on), one of them, and its chat for the
 * replay page to play back at the moments the messages were sent.
 */
export function replayApiRoutes({ recordings, channelExists, messagesBetween }: ReplayApiDeps): Router {
  const router = Router();
  const channel = async (name: string) => {
    if (!(await channelExists(name))) throw fail('LR_CHANNEL_NOT_FOUND', { channel: name.slice(0, 64) });
    return name;
  };

  router.get('/:channel/replays', async (req, res) => {
    const name = await channel(req.params.channel);
    const limit = typeof req.query.limit === 'string' && /^\d{1,4}$/.test(req.query.limit) ? Math.max(1, Number(req.query.limit)) : 50;
    const before = typeof req.query.before === 'string' && /^\d{1,15}$/.test(req.query.before) ? Number(req.query.before) : undefined;
    // Only what can be played: a recording whose writing stopped at once has nothing in it.
    const replays = (await recordings.list(name, limit, before)).filter((r) => r.duration > 0).map(replaySummary);
    const body: ReplayList = { channel: name, replays };
    res.set('Cache-Control', 'no-cache').json(body);
  });

  router.get('/:channel/replays/:id', async (req, res) => {
    const rec = await recordings.get(req.params.id, await channel(req.params.channel));
    res.set('Cache-Control', 'no-cache').json(replaySummary(rec));
  });

  router.get(
    '/:channel/replays/:id/thumbnail.jpg',
    asyncRoute(async (req, res) => {
      const rec = await recordings.get(req.params.id as string, await channel(req.params.channel as string));
      // Made once, when the recording closed; never rewritten.
      await sendImmutableFile(res, recordings.thumbnailFile(rec), 'image/jpeg').catch(() => {
        throw fail('LR_RECORDING_NO_THUMBNAIL', { id: rec.id, status: rec.status });
      });
    }),
  );

  router.get('/:channel/replays/:id/messages', async (req, res) => {
    const rec = await recordings.get(req.params.id, await channel(req.params.channel));
    const from = rec.startedAt;
    const to = rec.endedAt ?? Date.now();
    const messages = await messagesBetween(rec.channel, from, to, REPLAY_MESSAGE_LIMIT + 1);
    const body: ReplayMessages = { id: rec.id, from, to, messages: messages.slice(0, REPLAY_MESSAGE_LIMIT), truncated: messages.length > REPLAY_MESSAGE_LIMIT };
    res.set('Cache-Control', rec.endedAt ? 'public, max-age=10' : 'no-cache').json(body);
  });

  return router;
}
