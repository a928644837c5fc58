import type { RequestHandler } from 'express';

/** CORS for the public parts (/hls, /api/channels) so the stream can be embedded on another site. */
export function cors(origin: string): RequestHandler {
  return (req, res, next) => {
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Expose-Headers', 'Content-Length, Date, Age');
    if (origin !== '*') res.append('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.set('Access-Control-Allow-Headers', 'Range, Content-Type');
      res.set('Access-Control-Max-Age', '86400');
      res.status(204).end();
      return;
    }
    next();
  };
}
