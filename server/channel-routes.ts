import type http from 'node:http';
import { Router } from 'express';
import type { ChannelStatus } from './channel-status';
import { fail } from '../core/errors';
import type { AddressSlots } from '../core/address-slots';

export interface ChannelRouteDeps {
  status: ChannelStatus;
  /** Counts an event stream from `address` as a viewer (one per address, however many it opens); returns the release. */
  onPlayer(channel: string, address: string): () => void;
  /** Open event streams per address, capped ('http.maxEventStreamsPerAddress'). */
  eventStreams: AddressSlots;
  clientAddress(req: http.IncomingMessage): string;
}

/**
 * Public channel API: status as JSON, and as Server-Sent Events for the player
 * page. Each open event stream is a player; `onPlayer` counts it as a viewer
 * and returns the release for when it closes. A stream opened with `?chat=1`
 * belongs to a page that is also in the chat, which counts it there instead.
 * An address at its cap of open streams gets 429 with Retry-After.
 */
export function channelRoutes({ status, onPlayer, eventStreams, clientAddress }: ChannelRouteDeps): Router {
  const router = Router();

  router.get('/:channel', async (req, res) => {
    const view = await status.view(req.params.channel);
    if (!view) throw fail('LR_CHANNEL_NOT_FOUND', { channel: req.params.channel });
    res.set('Cache-Control', 'no-cache').json(view);
  });

  router.get('/:channel/events', async (req, res) => {
    const name = req.params.channel;
    const view = await status.view(name);
    if (!view) throw fail('LR_CHANNEL_NOT_FOUND', { channel: name });
    if (req.socket.destroyed) return; // gone while the store answered
    const address = clientAddress(req);
    const releaseSlot = eventStreams.acquire(address);
    if (!releaseSlot) throw fail('LR_HTTP_TOO_MANY_EVENT_STREAMS', { max: eventStreams.maxPerAddress });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const send = (v: unknown) => res.write(`event: state\ndata: ${JSON.stringify(v)}\n\n`);
    res.write('retry: 2000\n\n');
    send(view);
    const unsubscribe = status.subscribe(name, send);
    // `?chat=1`: the page is also in the chat, which counts it already.
    const releasePlayer = req.query.chat === '1' ? () => {} : onPlayer(name, address);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(ping);
      unsubscribe();
      releasePlayer();
      releaseSlot();
    });
  });

  return router;
}
