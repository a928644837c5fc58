import type { RequestHandler } from 'express';

/** Sent with every response (the Express app's and the chat's engine.io ones). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // A response is what its Content-Type says: a chat message or a JSON body never runs as a script or a page.
  'X-Content-Type-Options': 'nosniff',
  // Other sites see our origin, never a watch URL (a moderator's #token is never sent anyway, but paths are).
  'Referrer-Policy': 'strict-origin-when-cross-origin',
});

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  };
}
