import type http from 'node:http';
import querystring from 'node:querystring';
import type { HlsConfig } from '../core/config-schema';
import { fail, LiveroomError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Packager } from '../packager/packager';
import type { MediaPlaylist } from '../packager/media-playlist';
import { parseMediaUri } from '../packager/media-uris';
import type { BroadcastAnalytics } from '../analytics/broadcast-analytics';
import type { HeldRequests } from './held-requests';
import { IMMUTABLE } from './immutable-file';
import { answerError } from './http-errors';
import { corsHeaders } from './cors';
import { SECURITY_HEADERS } from './security-headers';
import type { Metrics } from './metrics';
import { hlsRequestKind } from './metrics-routes';

/** Express's res.send adds the charset to a string body's type; players see the same header as before. */
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl; charset=utf-8';
const MEDIA_TYPE = 'video/mp4';
/** An ended broadcast's playlist: final, but kept short so a cache does not hold it for long after the window is gone. */
const IMMUTABLE_PLAYLIST = 'public, max-age=60';
const NO_CACHE = 'no-cache';
const SHORT = 'public, max-age=1';

export interface HlsHandlerDeps {
  packager: Packager;
  hls: HlsConfig;
  held: HeldRequests;
  /** 'http.corsOrigin'. */
  corsOrigin: string;
  clientAddress(req: http.IncomingMessage): string;
  metrics?: Metrics;
  analytics?: BroadcastAnalytics;
  /** A channel another node ingests: proxied to (or redirected at) its origin (hls-origin-proxy.ts), or next() to answer here. */
  elsewhere?: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;
  log: Logger;
}

type Query = querystring.ParsedUrlQuery;

/** A path under /hls cut into its segments (undecoded), and the request's query. */
interface HlsUrl {
  /** The path as requested ('/hls/live/master.m3u8'), for LR_NOT_FOUND. */
  path: string;
  /** After /hls, split on '/', one trailing slash dropped (Express routes are not strict). */
  segs: string[];
  query: Query;
}

const NO_QUERY: Query = Object.freeze(Object.create(null));

/**
 * Our LL-HLS origin over HTTP, in front of Express (a plain request listener:
 * HLS requests are most of the traffic, and Express's routing cost more than
 * the answer). Every request under /hls is answered here: multivariant and
 * media playlists with blocking reload (_HLS_msn/_HLS_part), delta updates
 * (_HLS_skip), and the init, part and segment bytes; anything else under /hls
 * is 404 LR_NOT_FOUND, as the app would say. With it, as every app response
 * has: the security headers and CORS ('http.corsOrigin', OPTIONS preflight);
 * metrics (the request histogram), analytics (the address as an HLS viewer,
 * the media bytes served), the origin proxy for channels on other nodes.
 * Requests that wait are held through `held` (per-address cap, released on
 * disconnect). Returns false for a request that is not under /hls.
 */
export function hlsHandler(deps: HlsHandlerDeps): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const { packager, hls, held, metrics, analytics, elsewhere, clientAddress } = deps;
  const cors = corsHeaders(deps.corsOrigin);
  /** Every HLS answer's first headers, flat for writeHead: the app's security headers, then CORS. */
  const base: string[] = [...Object.entries(SECURITY_HEADERS), ...cors.always].flat();
  const preflight = [...base, ...cors.preflight.flat()];
  const waitMs = (pl: MediaPlaylist) => hls.blockingTimeoutTargets * pl.targetDuration * 1000;

  /** The same headers set one by one, for answers written with setHeader (errors, the origin proxy). */
  const setBase = (res: http.ServerResponse) => {
    for (let i = 0; i < base.length; i += 2) res.setHeader(base[i], base[i + 1]);
  };

  /** Writes the answer; true when the body went out (a 200 to a GET). */
  const send = (req: http.IncomingMessage, res: http.ServerResponse, type: string, cache: string, body: Buffer): boolean => {
    if (res.headersSent || res.destroyed) return false;
    // No ETag or Last-Modified is sent, so only "If-None-Match: *" makes a request fresh (as Express's req.fresh has it).
    if (fresh(req)) {
      res.writeHead(304, [...base, 'Cache-Control', cache]);
      res.end();
      return false;
    }
    res.writeHead(200, [...base, 'Content-Type', type, 'Cache-Control', cache, 'Content-Length', String(body.length)]);
    if (req.method === 'HEAD') {
      res.end();
      return false;
    }
    res.end(body);
    return true;
  };

  const rendition = (channel: string, broadcast: string, name: string) => {
    const cp = packager.channel(channel);
    if (!cp?.hasBroadcast(broadcast)) throw fail('LR_HLS_NO_BROADCAST', { channel, broadcast });
    const pl = cp.playlist(broadcast, name);
    if (!pl?.init) throw fail('LR_HLS_NO_RENDITION', { channel, rendition: name });
    return { cp, pl };
  };

  const multivariant = (req: http.IncomingMessage, res: http.ServerResponse, channel: string) => {
    const text = packager.channel(channel)?.renderMultivariant();
    if (!text) throw fail('LR_HLS_NOT_LIVE', { channel });
    send(req, res, PLAYLIST_TYPE, NO_CACHE, Buffer.from(text));
  };

  const media = async (req: http.IncomingMessage, res: http.ServerResponse, query: Query, channel: string, broadcast: string, name: string) => {
    const msn = intParam(query._HLS_msn, '_HLS_msn');
    const part = intParam(query._HLS_part, '_HLS_part');
    const skip = query._HLS_skip;
    if (part !== undefined && msn === undefined) throw fail('LR_HLS_PART_WITHOUT_MSN');
    if (skip !== undefined && skip !== 'YES' && skip !== 'v2') throw fail('LR_HLS_BAD_QUERY', { param: '_HLS_skip', expected: 'YES or v2' });
    const { cp, pl } = rendition(channel, broadcast, name);
    let satisfied = true;
    if (msn !== undefined) {
      if (msn > pl.maxRequestableMsn) throw fail('LR_HLS_MSN_TOO_FAR', { msn, last: pl.maxRequestableMsn - 2 });
      satisfied = await held.hold(req, res, pl, { msn, part }, waitMs(pl));
      // While the publisher reconnects, the playlist as it stands (no ENDLIST): players keep polling instead of erroring.
      if (!satisfied && !pl.ended && !pl.paused) throw fail('LR_HLS_TIMEOUT', { what: `segment ${msn}${part !== undefined ? ` part ${part}` : ''}` });
    }
    const bytes = cp.renderMediaBytes(broadcast, name, skip !== undefined)!;
    // A satisfied blocking response describes the playlist at that msn/part: an edge may keep it.
    // An ended playlist never changes again (its URIs are not reused).
    const cache = pl.ended ? IMMUTABLE_PLAYLIST : msn !== undefined && satisfied ? `public, max-age=${6 * pl.targetDuration}` : SHORT;
    send(req, res, PLAYLIST_TYPE, cache, bytes);
  };

  const file = async (req: http.IncomingMessage, res: http.ServerResponse, channel: string, broadcast: string, name: string, file: string) => {
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
    const size = bytes.length;
    // The media bytes a rendition served, once they are all handed to the socket (not for an init).
    if (send(req, res, MEDIA_TYPE, IMMUTABLE, bytes) && analytics && kind !== 'init') res.once('finish', () => analytics.mediaServed(channel, name, size));
  };

  const failed = (res: http.ServerResponse, err: unknown, path: string) => {
    if (res.headersSent) return;
    setBase(res);
    answerError(deps.log, res, err, path);
  };

  /** The route a request takes, as Express's routes matched them (decoded params, case-insensitive literals). */
  const route = (req: http.IncomingMessage, res: http.ServerResponse, u: HlsUrl): Promise<void> | void => {
    const { segs } = u;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const filled = segs.every((s) => s !== '');
    if (get && filled && segs.length === 2 && segs[1].toLowerCase() === 'master.m3u8') return multivariant(req, res, param(segs[0]));
    if (get && filled && segs.length === 4) {
      const [channel, broadcast, name, last] = segs.map(param);
      if (segs[3].toLowerCase() === 'index.m3u8') return media(req, res, u.query, channel, broadcast, name);
      return file(req, res, channel, broadcast, name, last);
    }
    throw fail('LR_NOT_FOUND', { method: req.method ?? '', path: u.path });
  };

  const serve = (req: http.IncomingMessage, res: http.ServerResponse, u: HlsUrl) => {
    try {
      const done = route(req, res, u);
      if (done) done.catch((err: unknown) => failed(res, err, u.path));
    } catch (err) {
      failed(res, err, u.path);
    }
  };

  return (req, res) => {
    const u = hlsUrl(req.url ?? '/');
    if (!u) return false;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflight);
      res.end();
      return true;
    }
    // What it asks for, as the histogram and the analytics name it (from the path as sent, empty segments dropped).
    const rel = u.segs.filter((s) => s !== '');
    const kind = hlsRequestKind(rel, u.query);
    const started = metrics ? process.hrtime.bigint() : 0n;
    const channel = rel[0];
    if (metrics) {
      res.once('close', () => metrics.observeHlsRequest(kind, res.writableFinished ? String(res.statusCode) : 'aborted', Number(process.hrtime.bigint() - started) / 1e9));
    }
    const here = () => {
      if (analytics && kind !== 'other' && channel !== undefined) analytics.hlsRequest(channel, clientAddress(req));
      serve(req, res, u);
    };
    if (!elsewhere) {
      here();
      return true;
    }
    setBase(res); // the proxy's answers carry them too; a proxied request is counted by its origin
    elsewhere(req, res, here);
    return true;
  };
}

/** '/hls/...' (any case, as Express mounts it) cut up, or undefined for any other path. */
function hlsUrl(url: string): HlsUrl | undefined {
  if (url.length < 4 || url.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.length > 4 && path.charCodeAt(4) !== 47) return undefined;
  const head = path.slice(0, 4);
  if (head !== '/hls' && head.toLowerCase() !== '/hls') return undefined;
  let rest = path.slice(5);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  return { path, segs: rest === '' ? [] : rest.split('/'), query: q < 0 ? NO_QUERY : querystring.parse(url.slice(q + 1)) };
}

/** A path parameter decoded as Express's router does: a malformed escape is a 400. */
function param(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    const bad = fail('LR_BAD_REQUEST', { problem: `Failed to decode param '${raw}'` });
    throw new LiveroomError(bad.code, bad.message, 400);
  }
}

function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw fail('LR_HLS_BAD_QUERY', { param: name, expected: 'a non-negative integer' });
  }
  return Number(value);
}

const NO_CACHE_REQUEST = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/** Express's req.fresh for a response with neither ETag nor Last-Modified: only "If-None-Match: *". */
function fresh(req: http.IncomingMessage): boolean {
  const h = req.headers;
  if (h['if-none-match'] !== '*' || h['if-modified-since']) return false;
  const cc = h['cache-control'];
  return !(cc && NO_CACHE_REQUEST.test(cc));
}
