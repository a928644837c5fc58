import type { RequestHandler } from 'express';

/** The CORS headers of every answer on the public parts, and the extra ones of a preflight (OPTIONS). */
export function corsHeaders(origin: string): { always: [string, string][]; preflight: [string, string][] } {
  const always: [string, string][] = [
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Expose-Headers', 'Content-Length, Date, Age'],
  ];
  if (origin !== '*') always.push(['Vary', 'Origin']);
  const preflight: [string, string][] = [
    ['Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS'],
    ['Access-Control-Allow-Headers', 'Range, Content-Type'],
    ['Access-Control-Max-Age', '86400'],
  ];
  return { always, preflight };
}

/** CORS for the public parts (/api/channels, /vod; /hls has its own handler) so they can be used from another site. */
export function cors(origin: string): RequestHandler {
  const { always, preflight } = corsHeaders(origin);
  return (req, res, next) => {
    for (const [k, v] of always) {
      if (k === 'Vary') res.append(k, v);
      else res.set(k, v);
    }
    if (req.method === 'OPTIONS') {
      for (const [k, v] of preflight) res.set(k, v);
      res.status(204).end();
      return;
    }
    next();
  };
}
