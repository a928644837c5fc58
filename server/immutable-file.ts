import type { Response } from 'express';

/** What a file that never changes once served is cached with (media segments, parts, thumbnails). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Sends a file from the recordings folder that never changes; rejects (for the
 * error middleware) when it cannot be read before anything was sent.
 */
export function sendImmutableFile(res: Response, file: string, contentType: string): Promise<void> {
  res.set({ 'Content-Type': contentType, 'Cache-Control': IMMUTABLE });
  return new Promise<void>((resolve, reject) =>
    res.sendFile(file, { dotfiles: 'deny', cacheControl: false }, (err) => (err && !res.headersSent ? reject(err) : resolve())),
  );
}
