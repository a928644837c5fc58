import type http from 'node:http';
import { fail } from '../core/errors';
import type { WaitTarget } from '../packager/media-playlist';
import { AddressSlots } from '../core/address-slots';

/** What a held request waits on: a MediaPlaylist. */
export interface Waitable {
  readonly ended: boolean;
  satisfies(target: WaitTarget): boolean;
  waitFor(target: WaitTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The HLS requests held open until a part exists (blocking playlist reloads,
 * preload-hint parts), capped per client address ('http.maxHeldRequestsPerAddress'):
 * past the cap a request is answered 429 with Retry-After at once instead of
 * being held. A held request whose client goes away is released at that
 * moment: its waiter is removed and its timer cleared.
 */
export class HeldRequests {
  private readonly slots: AddressSlots;

  constructor(
    maxPerAddress: number,
    private readonly clientAddress: (req: http.IncomingMessage) => string,
  ) {
    this.slots = new AddressSlots(maxPerAddress);
  }

  /** Requests held now, from `address` or from everyone (tests, status). */
  count(address?: string): number {
    return this.slots.count(address);
  }

  /**
   * Resolves like `playlist.waitFor`: true once `target` is there, false on timeout, end or disconnect. A request
   * that needs no wait takes no slot. Throws LR_HTTP_TOO_MANY_HELD when its address is at the cap.
   */
  async hold(req: http.IncomingMessage, res: http.ServerResponse, playlist: Waitable, target: WaitTarget, timeoutMs: number): Promise<boolean> {
    if (playlist.satisfies(target)) return true;
    if (playlist.ended) return false;
    const release = this.slots.acquire(this.clientAddress(req));
    if (!release) throw fail('LR_HTTP_TOO_MANY_HELD', { max: this.slots.maxPerAddress });
    const gone = new AbortController();
    // 'close' on the response: finished, or the connection died first (the client aborted).
    const onClose = () => gone.abort();
    res.once('close', onClose);
    if (res.closed || res.destroyed || req.socket.destroyed) gone.abort(); // gone before we got here
    try {
      return await playlist.waitFor(target, timeoutMs, gone.signal);
    } finally {
      res.off('close', onClose);
      release();
    }
  }
}
